package io.wiseseg.prm;

import io.wiseseg.util.Tensors;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.wiseseg.data.Dataset;
import io.wiseseg.data.LabelledImage;
import io.wiseseg.data.ProgressListener;
import io.wiseseg.kernels.Device;
import io.wiseseg.kernels.PeakFinder;
import io.wiseseg.util.AtomicFiles;
import io.wiseseg.util.StepSchedule;
import io.wiseseg.util.TorchvisionWeights;
import io.wiseseg.util.Trace;
import io.wiseseg.util.TrainingDivergedException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.Set;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Optimizer;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorVector;
import org.bytedeco.pytorch.global.torch;

/**
 * Trains the PRM classifier on image-level labels: batches built in Java (resize with per-batch
 * scale jitter, horizontal flips), the config's {@link TrainingRecipe} (PRM's: multilabel
 * soft-margin loss on the peak aggregation, SGD) with the backbone at a reduced learning rate
 * (both rates × lrGamma at each of the config's lr steps), for its epochs or exactly its iterations, a checkpoint every N steps, and resumption
 * from the last checkpoint at the step it recorded. Each step runs in its own PointerScope so native memory is freed at once.
 */
public final class PrmTrainer {
    private static final String CATEGORY = "train";

    /**
     * What a checkpoint records besides the weights: the step reached, and the loss and gradient
     * norm (before any limit) of every step; a state written before norms were recorded has none.
     */
    public record State(long step, List<Double> losses, List<Double> gradNorms) {
        public State {
            gradNorms = gradNorms == null ? List.of() : gradNorms;
        }
    }

    private final PrmConfig config;
    private final PeakStimulation stimulation;
    /** Optimizer steps taken by this trainer, and the head's learning rate at each (for tests). */
    long optimizerSteps;
    final List<Double> stepLearningRates = new ArrayList<>();

    public PrmTrainer(PrmConfig config, PeakFinder finder) {
        this.config = config;
        this.stimulation = new PeakStimulation(finder);
    }

    /**
     * Trains into {@code out} (created if needed) and returns the trained network and its state.
     * With {@code resume}, continues from the checkpoint in {@code out}; the run's config must then
     * match the saved one.
     */
    public Trained train(Dataset dataset, Path out, boolean resume, ProgressListener listener) throws IOException {
        List<LabelledImage> images = dataset.labelled(config.split());
        if (images.isEmpty()) {
            throw new IllegalArgumentException("split '" + config.split() + "' of " + config.dataset() + " has no images");
        }
        if (!dataset.classes().names().equals(config.classes())) {
            throw new IllegalArgumentException("the dataset's classes " + dataset.classes().names()
                    + " differ from the config's " + config.classes());
        }
        if (config.recipe().loss() == TrainingRecipe.Loss.SOFTMAX) {
            for (LabelledImage image : images) {
                if (image.labels().length == 0) {
                    throw new IllegalArgumentException("the softmax loss needs a label on every image; "
                            + image.id() + " in split '" + config.split() + "' of " + config.dataset() + " has none");
                }
            }
        }
        int stepsPerEpoch = (images.size() + config.batchSize() - 1) / config.batchSize();
        long total = config.totalSteps(stepsPerEpoch);
        for (int s : config.lrSteps()) { // by iterations the config checked this already
            if (s >= total) {
                throw new IllegalArgumentException("lr steps must be below the run's " + total + " steps ("
                        + config.epochs() + " epochs of " + stepsPerEpoch + "), got " + s);
            }
        }
        Files.createDirectories(out);
        PrmNetwork net = config.newNetwork();
        State state = new State(0, new ArrayList<>(), new ArrayList<>());
        if (resume) {
            state = resumeInto(net, out);
        } else if (config.weights() != null) {
            Path weights = Path.of(config.weights());
            if (PrmCheckpoint.isRun(weights)) { // another classifier's backbone, its head left behind
                net.backbone().loadFrom(PrmCheckpoint.loadNetwork(weights).backbone(),
                        weights + " (a train-classifier run)");
            } else {
                TorchvisionWeights.load(net.backbone(), weights, Set.of("fc."));
            }
        }
        Device device = stimulation.device();
        device.place(net); // loaded on the CPU first: checkpoints load anywhere, whatever saved them
        net.setTrainable(true);
        net.setBatchNormTraining(config.trainBatchNorm());
        TrainingRecipe recipe = config.recipe();
        Optimizer backboneOptimizer = recipe.newOptimizer(net.backboneParameters(), config.lr() * config.backboneLrFactor(),
                config.momentum(), config.weightDecay());
        Optimizer headOptimizer = recipe.newOptimizer(net.classifierParameters(), config.lr(), config.momentum(),
                config.weightDecay());
        TensorVector trainable = new TensorVector(); // the gradient limit is on both optimizers' parameters together
        for (TensorVector group : List.of(net.backboneParameters(), net.classifierParameters())) {
            for (long i = 0; i < group.size(); i++) {
                trainable.push_back(group.get(i));
            }
        }
        if (resume) {
            PrmCheckpoint.loadOptimizer(backboneOptimizer, out.resolve(PrmCheckpoint.OPT_BACKBONE), device);
            PrmCheckpoint.loadOptimizer(headOptimizer, out.resolve(PrmCheckpoint.OPT_HEAD), device);
        }
        config.write(out.resolve(PrmCheckpoint.CONFIG));

        List<Double> losses = new ArrayList<>(state.losses());
        List<Double> gradNorms = new ArrayList<>(state.gradNorms());
        long step = state.step();
        long saved = step; // the step of the checkpoint on disk (0: none)
        listener.progress("train", step, total);
        while (step < total) {
            int epoch = (int) (step / stepsPerEpoch);
            List<LabelledImage> order = shuffled(images, epoch);
            int first = (int) (step % stepsPerEpoch) * config.batchSize();
            List<LabelledImage> batch = order.subList(first, Math.min(order.size(), first + config.batchSize()));
            Random random = new Random(config.seed() * 1_000_003L + step);
            // the step decides the rate, so a resumed run goes on where it was (with no lr step
            // reached it is config.lr() itself: a run by epochs is what it was before schedules)
            double lr = StepSchedule.decayed(config.lr(), step, config.lrSteps(), config.lrGamma());
            setLr(backboneOptimizer, lr * config.backboneLrFactor());
            setLr(headOptimizer, lr);
            try (PointerScope scope = new PointerScope();
                    Trace.Span span = Trace.span("train step", CATEGORY).arg("step", step).arg("images", batch.size())) {
                Tensor x;
                try (Trace.Span s = Trace.span("batch input", CATEGORY)) { // decode, augment, stack
                    x = device.place(batchImages(dataset, batch, random));
                }
                if (step == 0 && config.weights() == null && !config.trainBatchNorm()) {
                    net.calibrateBatchNorm(x); // from scratch: freeze statistics of real activations
                }
                Tensor labels = device.place(labels(batch, config.classes().size()));
                Tensor loss;
                try (Trace.Span s = Trace.span("forward", CATEGORY)) {
                    Tensor maps = net.classResponseMaps(x);
                    if (!torch.isfinite(maps).all().item_bool()) { // blown-up weights: say so, not peak finding's complaint
                        throw diverged(step, total, "class response maps not finite", saved, out);
                    }
                    loss = recipe.loss(recipe.scores(maps, stimulation), labels);
                }
                double value = loss.item_double();
                if (!Double.isFinite(value)) { // stop before such weights reach a checkpoint
                    throw diverged(step, total, "loss " + value, saved, out);
                }
                try (Trace.Span s = Trace.span("backward", CATEGORY)) {
                    backboneOptimizer.zero_grad();
                    headOptimizer.zero_grad();
                    loss.backward();
                    gradNorms.add(recipe.limitGradients(trainable));
                }
                try (Trace.Span s = Trace.span("optimizer step", CATEGORY)) {
                    backboneOptimizer.step();
                    headOptimizer.step();
                }
                optimizerSteps++;
                stepLearningRates.add(headOptimizer.param_groups().get(0).options().get_lr());
                losses.add(value);
            }
            step++;
            listener.progress("train", step, total);
            if (step % config.checkpointEvery() == 0 || step == total) {
                if (!finite(trainable)) { // the last step blew the weights up: keep the checkpoint before it
                    throw diverged(step - 1, total, "weights not finite after its update", saved, out);
                }
                try (Trace.Span s = Trace.span("checkpoint", CATEGORY)) {
                    checkpoint(net, backboneOptimizer, headOptimizer, new State(step, losses, gradNorms), out);
                }
                saved = step;
            }
        }
        net.setBatchNormTraining(false);
        return new Trained(net, new State(step, List.copyOf(losses), List.copyOf(gradNorms)));
    }

    /** The result of a run: the network (weights trainable) and the final state. */
    public record Trained(PrmNetwork network, State state) {}

    private State resumeInto(PrmNetwork net, Path out) throws IOException {
        Path stateFile = out.resolve(PrmCheckpoint.STATE);
        if (!Files.isRegularFile(stateFile) || !Files.isRegularFile(out.resolve(PrmCheckpoint.MODEL))) {
            throw new IllegalArgumentException("--resume: no checkpoint in " + out + " (state.json / model.pt missing)");
        }
        PrmConfig saved = PrmConfig.read(out.resolve(PrmCheckpoint.CONFIG));
        if (!saved.equals(config)) {
            throw new IllegalArgumentException("cannot resume: the settings differ from the checkpoint's "
                    + out.resolve(PrmCheckpoint.CONFIG) + " (" + differences(saved, config) + ")");
        }
        PrmCheckpoint.loadModule(net, out.resolve(PrmCheckpoint.MODEL));
        return new ObjectMapper().readValue(stateFile.toFile(), State.class);
    }

    /** "name: saved → wanted" for each setting that differs, so a refused resume says which. */
    static String differences(PrmConfig saved, PrmConfig wanted) {
        List<String> out = new ArrayList<>();
        for (var c : PrmConfig.class.getRecordComponents()) {
            try {
                Object a = c.getAccessor().invoke(saved), b = c.getAccessor().invoke(wanted);
                if (!java.util.Objects.equals(a, b)) {
                    out.add(c.getName() + ": " + a + " → " + b);
                }
            } catch (ReflectiveOperationException e) {
                throw new IllegalStateException(e);
            }
        }
        return String.join(", ", out);
    }

    private static TrainingDivergedException diverged(long step, long total, String what, long saved, Path out) {
        return new TrainingDivergedException("classifier training diverged at step " + step + " of " + total + ": "
                + what + "; " + (saved == 0 ? "no checkpoint was written yet" : "the checkpoint of step " + saved
                        + " is in " + out) + "; lower the learning rate (--lr) or limit the gradient norm (--max-grad-norm)");
    }

    private static boolean finite(TensorVector params) {
        for (long i = 0; i < params.size(); i++) {
            if (!torch.isfinite(params.get(i)).all().item_bool()) {
                return false;
            }
        }
        return true;
    }

    private void checkpoint(PrmNetwork net, Optimizer backbone, Optimizer head, State state, Path out) throws IOException {
        PrmCheckpoint.save(net, out.resolve(PrmCheckpoint.MODEL));
        PrmCheckpoint.save(backbone, out.resolve(PrmCheckpoint.OPT_BACKBONE));
        PrmCheckpoint.save(head, out.resolve(PrmCheckpoint.OPT_HEAD));
        // The state is written last: a crash before it leaves the previous step's state, and
        // resuming then repeats at most the steps since that checkpoint.
        AtomicFiles.write(out.resolve(PrmCheckpoint.STATE), tmp -> new ObjectMapper().writeValue(tmp.toFile(), state));
    }

    private static void setLr(Optimizer optimizer, double lr) {
        for (long i = 0; i < optimizer.param_groups().size(); i++) {
            optimizer.param_groups().get(i).options().set_lr(lr);
        }
    }

    private List<LabelledImage> shuffled(List<LabelledImage> images, int epoch) {
        List<LabelledImage> order = new ArrayList<>(images);
        Collections.shuffle(order, new Random(config.seed() * 31L + epoch));
        return order;
    }

    /** One batch: every image resized to the batch's jittered size, each flipped with probability p. */
    private Tensor batchImages(Dataset dataset, List<LabelledImage> batch, Random random) {
        double s = config.scaleJitter();
        double factor = Math.exp((random.nextDouble() * 2 - 1) * Math.log(s));
        int size = ImageTensors.toStride(config.imageSize() * factor);
        List<Tensor> tensors = new ArrayList<>();
        for (LabelledImage image : batch) {
            boolean flip = random.nextDouble() < config.flipProbability();
            tensors.add(ImageTensors.normalised(dataset.readImage(image), size, size, flip));
        }
        return ImageTensors.cat(tensors);
    }

    static Tensor labels(List<LabelledImage> batch, int classes) {
        float[] y = new float[batch.size() * classes];
        for (int i = 0; i < batch.size(); i++) {
            for (int c : batch.get(i).labels()) {
                y[i * classes + c] = 1f;
            }
        }
        return Tensors.floats(y, batch.size(), classes);
    }
}
