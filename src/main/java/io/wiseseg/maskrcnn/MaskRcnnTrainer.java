package io.wiseseg.maskrcnn;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.wiseseg.data.Box;
import io.wiseseg.data.ClassSet;
import io.wiseseg.data.Instance;
import io.wiseseg.data.ProgressListener;
import io.wiseseg.data.RgbImage;
import io.wiseseg.util.AtomicFiles;
import io.wiseseg.util.StepSchedule;
import io.wiseseg.util.Trace;
import io.wiseseg.util.TrainingDivergedException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.Supplier;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.InputArchive;
import org.bytedeco.pytorch.OutputArchive;
import org.bytedeco.pytorch.SGD;
import org.bytedeco.pytorch.SGDOptions;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorVector;

/**
 * Trains a {@link MaskRcnn} on instance targets (pseudo labels or ground truth): batches of
 * images padded together, random horizontal flips, SGD with momentum and weight decay, linear
 * warm-up then step decay (torchvision's reference recipe), a checkpoint after every epoch that
 * {@code resume} continues from, and the resolved configuration written next to it. The model's
 * files (config.json, model.pt) are a {@link MaskRcnnCheckpoint}; the optimizer and the progress
 * files are this class's own.
 */
public final class MaskRcnnTrainer {
    private static final String CATEGORY = "train";

    /**
     * One training image: its id, a way to read its pixels, its instances, and regions to ignore
     * (where an unlabelled object may be: no anchor or RoI there is trained as background).
     */
    public record Example(String id, Supplier<RgbImage> image, List<Instance> instances, List<Box> ignore) {
        /** An example without ignored regions. */
        public Example(String id, Supplier<RgbImage> image, List<Instance> instances) {
            this(id, image, instances, List.of());
        }
    }

    /**
     * WISE's Mask R-CNN stage: batch 1, lr 0.00125, momentum 0.9, weight decay 1e-4; warm-up over
     * the first iterations from lr × warmupFactor; lr × decayFactor at each of decayEpochs and at
     * each of decaySteps (optimizer steps from 0).
     *
     * @param iterations 0: train {@code epochs} epochs; else exactly this many optimizer steps,
     *                   cycling through shuffled epochs as needed ({@code epochs} is then unused)
     * @param decaySteps optimizer steps at which lr × decayFactor (besides the decay epochs)
     * @param maxGradNorm 0: none; else each step's gradients, all parameters together, are scaled
     *                    down to at most this L2 norm before the step (torch's clip_grad_norm_)
     */
    public record Options(int epochs, int batchSize, double lr, double momentum, double weightDecay,
            int warmupIterations, double warmupFactor, List<Integer> decayEpochs, double decayFactor,
            boolean flip, long seed, int iterations, List<Integer> decaySteps, double maxGradNorm, double minScale) {
        public Options {
            if (!(minScale > 0 && minScale <= 1)) {
                throw new IllegalArgumentException("the smallest training scale must be in (0, 1], got " + minScale);
            }
            if (!(maxGradNorm >= 0) || Double.isInfinite(maxGradNorm)) {
                throw new IllegalArgumentException("the gradient norm limit must be >= 0 (0: none), got " + maxGradNorm);
            }
            if (epochs < 1 || batchSize < 1) {
                throw new IllegalArgumentException("epochs and batch size must be >= 1, got " + epochs + ", " + batchSize);
            }
            if (!(lr > 0)) {
                throw new IllegalArgumentException("learning rate must be positive, got " + lr);
            }
            decayEpochs = List.copyOf(decayEpochs);
            decaySteps = decaySteps == null ? List.of() : List.copyOf(decaySteps);
            String problem = StepSchedule.problem(iterations, decaySteps, decayFactor);
            if (problem != null) {
                throw new IllegalArgumentException(problem);
            }
        }

        /** A schedule by epochs, its decays at {@code decayEpochs} (the options before iterations existed). */
        public Options(int epochs, int batchSize, double lr, double momentum, double weightDecay, int warmupIterations,
                double warmupFactor, List<Integer> decayEpochs, double decayFactor, boolean flip, long seed) {
            this(epochs, batchSize, lr, momentum, weightDecay, warmupIterations, warmupFactor, decayEpochs, decayFactor,
                    flip, seed, 0, List.of(), 0, 1);
        }

        /** These options with each step's gradient norm limited to {@code maxGradNorm} (0: no limit). */
        public Options withMaxGradNorm(double maxGradNorm) {
            return new Options(epochs, batchSize, lr, momentum, weightDecay, warmupIterations, warmupFactor, decayEpochs,
                    decayFactor, flip, seed, iterations, decaySteps, maxGradNorm, minScale);
        }

        /**
         * These options with each step's images drawn at a scale in [{@code minScale}, 1] of the
         * model's sizes (multi-scale training, as torchvision's and detectron2's recipes resize to a
         * random shorter side); 1: the model's sizes only.
         */
        public Options withMinScale(double minScale) {
            return new Options(epochs, batchSize, lr, momentum, weightDecay, warmupIterations, warmupFactor, decayEpochs,
                    decayFactor, flip, seed, iterations, decaySteps, maxGradNorm, minScale);
        }

        public static Options wise(int epochs) {
            return wise(epochs, 1, 0.00125, 500, true, 0);
        }

        /** WISE's recipe with its free parameters; the decay comes after two thirds of the epochs. */
        public static Options wise(int epochs, int batchSize, double lr, int warmupIterations, boolean flip, long seed) {
            return new Options(epochs, batchSize, lr, 0.9, 1e-4, warmupIterations, 1.0 / 3,
                    List.of(Math.max(1, epochs * 2 / 3)), 0.1, flip, seed);
        }

        /**
         * These options on {@code schedule}: its iterations (0 keeps the epochs), its gamma, and
         * its lr steps, which replace the decay epochs. Without lr steps the decay keeps its
         * default place: after two thirds of the epochs (unchanged), or of the iterations
         * ({@link #defaultDecayStep}). {@code StepSchedule.EPOCHS} leaves the options as they are.
         */
        public Options withSchedule(StepSchedule schedule) {
            List<Integer> epochs = decayEpochs, steps = decaySteps;
            if (!schedule.lrSteps().isEmpty()) {
                epochs = List.of();
                steps = schedule.lrSteps();
            } else if (schedule.byIterations()) {
                epochs = List.of();
                int step = defaultDecayStep(schedule.iterations());
                steps = step < schedule.iterations() ? List.of(step) : List.of();
            }
            return new Options(this.epochs, batchSize, lr, momentum, weightDecay, warmupIterations, warmupFactor, epochs,
                    schedule.lrGamma(), flip, seed, schedule.iterations(), steps, maxGradNorm, minScale);
        }

        /** Where the decay falls in a run of {@code iterations} steps with no lr steps given: after two thirds. */
        public static int defaultDecayStep(int iterations) {
            return Math.max(1, iterations * 2 / 3);
        }
    }

    /** What the trainer writes to its output folder besides the {@link MaskRcnnCheckpoint} files. */
    public static final String OPTIMIZER_FILE = "optimizer.pt", STATE_FILE = "trainer.json";

    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private final MaskRcnn model;
    private final ClassSet classes;
    private final Options options;
    private final Path out;
    private final SGD optimizer;
    private final TensorVector trainable;
    /** Optimizer steps taken by this trainer, and the learning rate the optimizer held at each (for tests). */
    long optimizerSteps;
    final List<Double> stepLearningRates = new ArrayList<>();

    /** {@code classes} names the model's classes (without the background) in config.json. */
    public MaskRcnnTrainer(MaskRcnn model, ClassSet classes, Options options, Path out) {
        if (classes.size() + 1 != model.config().numClasses()) {
            throw new IllegalArgumentException(classes.size() + " class names for a model of "
                    + (model.config().numClasses() - 1) + " classes");
        }
        this.model = model;
        this.classes = classes;
        this.options = options;
        this.out = out;
        model.device().place(model); // its weights, loaded on the CPU, go where its kernels run
        TensorVector trainable = new TensorVector();
        TensorVector all = model.parameters(true);
        for (long i = 0; i < all.size(); i++) {
            if (all.get(i).requires_grad()) {
                trainable.push_back(all.get(i));
            }
        }
        SGDOptions o = new SGDOptions(options.lr());
        o.momentum().put(options.momentum());
        o.weight_decay().put(options.weightDecay());
        optimizer = new SGD(trainable, o);
        this.trainable = trainable;
    }

    /**
     * The mean loss of every epoch run by this call (earlier epochs, when resumed, are not
     * repeated; with {@link Options#iterations()} the last epoch may be partial). A checkpoint
     * follows every epoch and the last step; resuming continues at the step it recorded, so the
     * learning rate goes on where it was. A resume whose schedule differs from the checkpoint's
     * (iterations, lr steps, lr gamma; with iterations also lr, batch size and warm-up) is refused
     * with an IllegalArgumentException naming the settings that differ.
     */
    public List<Double> train(List<Example> examples, boolean resume, ProgressListener listener) {
        if (examples.isEmpty()) {
            throw new IllegalArgumentException("no training images");
        }
        int perEpoch = (examples.size() + options.batchSize() - 1) / options.batchSize();
        boolean byIterations = options.iterations() > 0;
        long total = byIterations ? options.iterations() : (long) options.epochs() * perEpoch;
        long epochs = byIterations ? (total + perEpoch - 1) / perEpoch : options.epochs();
        for (int s : options.decaySteps()) { // by iterations the options checked this already
            if (s >= total) {
                throw new IllegalArgumentException("lr steps must be below the run's " + total + " steps ("
                        + options.epochs() + " epochs of " + perEpoch + "), got " + s);
            }
        }
        int startEpoch = 0;
        long iteration = 0;
        if (resume && Files.isRegularFile(out.resolve(STATE_FILE))) {
            checkSchedule();
            Map<?, ?> state = readJson(out.resolve(STATE_FILE));
            startEpoch = ((Number) state.get("epochsDone")).intValue();
            iteration = ((Number) state.get("iterations")).longValue();
            MaskRcnnCheckpoint.loadWeights(model, out.resolve(MaskRcnnCheckpoint.MODEL_FILE)); // onto the CPU
            model.device().place(model);
            InputArchive a = new InputArchive(); // the momentum buffers onto the parameters' device
            a.load_from(out.resolve(OPTIMIZER_FILE).toString(),
                    new org.bytedeco.pytorch.DeviceOptional(model.device().torchDevice()));
            optimizer.load(a);
        }
        writeConfig();
        List<Double> epochLosses = new ArrayList<>();
        for (int epoch = startEpoch; byIterations ? iteration < total : epoch < options.epochs(); epoch++) {
            Random random = new Random(options.seed() * 1_000_003L + epoch);
            List<Integer> order = new ArrayList<>();
            for (int i = 0; i < examples.size(); i++) {
                order.add(i);
            }
            java.util.Collections.shuffle(order, random);
            // by epochs every epoch is whole; by iterations a resumed run starts at the step its
            // checkpoint recorded (an epoch's start: checkpoints follow epochs, and the last step)
            // and stops at the last step, maybe mid-epoch
            int from = byIterations ? (int) Math.max(0, Math.min(perEpoch, iteration - (long) epoch * perEpoch)) : 0;
            int to = byIterations ? (int) Math.min(perEpoch, from + (total - iteration)) : perEpoch;
            if (from == to) {
                continue;
            }
            String task = "train epoch " + (epoch + 1) + "/" + epochs;
            listener.progress(task, from, to);
            double sum = 0;
            for (int b = from; b < to; b++) {
                setLr(learningRate(iteration, epoch));
                List<Example> batch = new ArrayList<>();
                for (int k = b * options.batchSize(); k < Math.min(examples.size(), (b + 1) * options.batchSize()); k++) {
                    batch.add(examples.get(order.get(k)));
                }
                try (Trace.Span s = Trace.span("train step", CATEGORY).arg("step", iteration).arg("images", batch.size())) {
                    sum += step(batch, random);
                } catch (TrainingDivergedException e) {
                    throw new TrainingDivergedException("Mask R-CNN training diverged at step " + iteration + " of "
                            + total + ": " + e.getMessage()
                            + "; the last finished epoch's checkpoint is in " + out
                            + "; lower the learning rate or limit the gradient norm (train-maskrcnn --max-grad-norm)");
                }
                iteration++;
                listener.progress(task, b + 1, to);
            }
            epochLosses.add(sum / (to - from));
            try (Trace.Span s = Trace.span("checkpoint", CATEGORY)) {
                checkpoint(to == perEpoch ? epoch + 1 : epoch, iteration, sum / (to - from));
            }
        }
        return epochLosses;
    }

    /** One SGD step on a batch; returns the total loss before the step. */
    double step(List<Example> batch, Random random) {
        try (PointerScope scope = new PointerScope()) {
            List<Tensor> images = new ArrayList<>();
            List<Target> targets = new ArrayList<>();
            Trace.Span input = Trace.span("batch input", CATEGORY); // decode, targets, flips
            for (Example e : batch) {
                RgbImage rgb = e.image().get();
                Tensor image = Samples.image(rgb);
                Target target = Samples.target(e.instances(), e.ignore(), rgb.height(), rgb.width());
                if (options.flip() && random.nextBoolean()) {
                    image = Samples.flipImage(image);
                    target = Samples.flipTarget(target, rgb.width());
                }
                images.add(image);
                targets.add(target);
            }
            input.close();
            MaskRcnn.Losses losses;
            double value;
            try (Trace.Span s = Trace.span("forward", CATEGORY)) {
                // drawn only when asked for: runs at one scale keep their random stream
                double scale = options.minScale() < 1 ? options.minScale() + (1 - options.minScale()) * random.nextDouble()
                        : 1;
                losses = model.losses(images, targets, scale, random);
                value = losses.totalValue();
            }
            if (!Double.isFinite(value)) {
                throw new TrainingDivergedException("loss " + value + " (" + losses.terms() + ")");
            }
            try (Trace.Span s = Trace.span("backward", CATEGORY)) {
                optimizer.zero_grad();
                losses.backward();
                if (options.maxGradNorm() > 0) {
                    org.bytedeco.pytorch.global.torch.clip_grad_norm_(trainable, options.maxGradNorm());
                }
            }
            try (Trace.Span s = Trace.span("optimizer step", CATEGORY)) {
                optimizer.step();
            }
            optimizerSteps++;
            stepLearningRates.add(optimizer.param_groups().get(0).options().get_lr());
            return value;
        }
    }

    /**
     * Linear warm-up from lr × warmupFactor over the first warmupIterations steps; × decayFactor
     * at each decay epoch and each decay step reached ({@code iteration} counts steps from 0).
     */
    double learningRate(long iteration, int epoch) {
        double lr = options.lr();
        for (int e : options.decayEpochs()) {
            if (epoch >= e) {
                lr *= options.decayFactor();
            }
        }
        lr = StepSchedule.decayed(lr, iteration, options.decaySteps(), options.decayFactor());
        if (iteration < options.warmupIterations()) {
            double alpha = (double) iteration / options.warmupIterations();
            lr *= options.warmupFactor() * (1 - alpha) + alpha;
        }
        return lr;
    }

    /**
     * A resume continues the checkpoint's schedule: refuse other iterations, lr steps or lr gamma
     * (and, on a schedule by iterations, another lr, batch size or warm-up, which would move what
     * each step does). By epochs, more epochs or another warm-up were always accepted, and still are.
     */
    private void checkSchedule() {
        Path file = out.resolve(MaskRcnnCheckpoint.CONFIG_FILE);
        JsonNode saved;
        try {
            saved = JSON.readTree(file.toFile()).path("training");
        } catch (IOException e) {
            throw new IllegalArgumentException(file + ": cannot read the training settings (" + e.getMessage() + ")", e);
        }
        JsonNode wanted = JSON.valueToTree(options);
        // a checkpoint written before schedules by iterations trained by epochs, its decays at decayEpochs
        Map<String, JsonNode> absent = Map.of("iterations", JSON.valueToTree(0), "decaySteps", JSON.valueToTree(List.of()));
        boolean byIterations = options.iterations() > 0 || saved.path("iterations").asInt(0) > 0;
        Map<String, String> guarded = new LinkedHashMap<>();
        guarded.put("iterations", "iterations");
        guarded.put("decaySteps", "lr steps");
        guarded.put("decayFactor", "lr gamma");
        if (byIterations) {
            guarded.put("lr", "lr");
            guarded.put("batchSize", "batch size");
            guarded.put("warmupIterations", "warm-up");
            guarded.put("warmupFactor", "warm-up factor");
        }
        List<String> differ = new ArrayList<>();
        for (var g : guarded.entrySet()) {
            JsonNode have = saved.has(g.getKey()) ? saved.get(g.getKey()) : absent.get(g.getKey());
            JsonNode want = wanted.get(g.getKey());
            if (have == null || !sameValue(have, want)) {
                differ.add(g.getValue() + ": " + have + " → " + want);
            }
        }
        if (!differ.isEmpty()) {
            throw new IllegalArgumentException("cannot resume: the schedule differs from the checkpoint's " + file
                    + " (" + String.join(", ", differ) + ")");
        }
    }

    /** Equal as JSON, numbers by value (a read-back 0.1 is a DoubleNode, 0 an IntNode either way). */
    private static boolean sameValue(JsonNode a, JsonNode b) {
        if (a.isNumber() && b.isNumber()) {
            return a.asDouble() == b.asDouble();
        }
        return a.equals(b);
    }

    private void setLr(double lr) {
        for (long i = 0; i < optimizer.param_groups().size(); i++) {
            optimizer.param_groups().get(i).options().set_lr(lr);
        }
    }

    private void checkpoint(int epochsDone, long iterations, double loss) {
        try {
            MaskRcnnCheckpoint.saveWeights(model, out);
            OutputArchive o = new OutputArchive();
            optimizer.save(o);
            saveAtomically(o, out.resolve(OPTIMIZER_FILE));
            writeJsonAtomically(out.resolve(STATE_FILE), Map.of("epochsDone", epochsDone, "iterations", iterations,
                    "lastEpochLoss", loss));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write a checkpoint to " + out + ": " + e.getMessage(), e);
        }
    }

    private void writeConfig() {
        try {
            MaskRcnnCheckpoint.writeConfig(out, model.config(), classes, options);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + out.resolve(MaskRcnnCheckpoint.CONFIG_FILE) + ": "
                    + e.getMessage(), e);
        }
    }

    private static void saveAtomically(OutputArchive archive, Path target) throws IOException {
        AtomicFiles.write(target, tmp -> archive.save_to(tmp.toString()));
    }

    private static void writeJsonAtomically(Path target, Object value) throws IOException {
        AtomicFiles.write(target, tmp -> JSON.writeValue(tmp.toFile(), value));
    }

    private static Map<?, ?> readJson(Path file) {
        try {
            return JSON.readValue(file.toFile(), Map.class);
        } catch (IOException e) {
            throw new IllegalArgumentException(file + ": cannot read the trainer state (" + e.getMessage() + ")", e);
        }
    }
}
