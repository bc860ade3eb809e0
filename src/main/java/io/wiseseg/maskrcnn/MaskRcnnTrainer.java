package io.wiseseg.maskrcnn;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.wiseseg.data.ClassSet;
import io.wiseseg.data.Instance;
import io.wiseseg.data.ProgressListener;
import io.wiseseg.data.RgbImage;
import io.wiseseg.util.AtomicFiles;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
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
    /** One training image: its id, a way to read its pixels, and its instances. */
    public record Example(String id, Supplier<RgbImage> image, List<Instance> instances) {}

    /**
     * WISE's Mask R-CNN stage: batch 1, lr 0.00125, momentum 0.9, weight decay 1e-4; warm-up over
     * the first iterations from lr × warmupFactor; lr × decayFactor at each of decayEpochs.
     */
    public record Options(int epochs, int batchSize, double lr, double momentum, double weightDecay,
            int warmupIterations, double warmupFactor, List<Integer> decayEpochs, double decayFactor,
            boolean flip, long seed) {
        public Options {
            if (epochs < 1 || batchSize < 1) {
                throw new IllegalArgumentException("epochs and batch size must be >= 1, got " + epochs + ", " + batchSize);
            }
            if (!(lr > 0)) {
                throw new IllegalArgumentException("learning rate must be positive, got " + lr);
            }
            decayEpochs = List.copyOf(decayEpochs);
        }

        public static Options wise(int epochs) {
            return wise(epochs, 1, 0.00125, 500, true, 0);
        }

        /** WISE's recipe with its free parameters; the decay comes after two thirds of the epochs. */
        public static Options wise(int epochs, int batchSize, double lr, int warmupIterations, boolean flip, long seed) {
            return new Options(epochs, batchSize, lr, 0.9, 1e-4, warmupIterations, 1.0 / 3,
                    List.of(Math.max(1, epochs * 2 / 3)), 0.1, flip, seed);
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
    }

    /** The mean loss of every epoch run by this call (earlier epochs, when resumed, are not repeated). */
    public List<Double> train(List<Example> examples, boolean resume, ProgressListener listener) {
        if (examples.isEmpty()) {
            throw new IllegalArgumentException("no training images");
        }
        int startEpoch = 0;
        long iteration = 0;
        if (resume && Files.isRegularFile(out.resolve(STATE_FILE))) {
            Map<?, ?> state = readJson(out.resolve(STATE_FILE));
            startEpoch = ((Number) state.get("epochsDone")).intValue();
            iteration = ((Number) state.get("iterations")).longValue();
            MaskRcnnCheckpoint.loadWeights(model, out.resolve(MaskRcnnCheckpoint.MODEL_FILE));
            InputArchive a = new InputArchive();
            a.load_from(out.resolve(OPTIMIZER_FILE).toString());
            optimizer.load(a);
        }
        writeConfig();
        int perEpoch = (examples.size() + options.batchSize() - 1) / options.batchSize();
        List<Double> epochLosses = new ArrayList<>();
        for (int epoch = startEpoch; epoch < options.epochs(); epoch++) {
            Random random = new Random(options.seed() * 1_000_003L + epoch);
            List<Integer> order = new ArrayList<>();
            for (int i = 0; i < examples.size(); i++) {
                order.add(i);
            }
            java.util.Collections.shuffle(order, random);
            String task = "train epoch " + (epoch + 1) + "/" + options.epochs();
            listener.progress(task, 0, perEpoch);
            double sum = 0;
            for (int b = 0; b < perEpoch; b++) {
                setLr(learningRate(iteration, epoch));
                List<Example> batch = new ArrayList<>();
                for (int k = b * options.batchSize(); k < Math.min(examples.size(), (b + 1) * options.batchSize()); k++) {
                    batch.add(examples.get(order.get(k)));
                }
                sum += step(batch, random);
                iteration++;
                listener.progress(task, b + 1, perEpoch);
            }
            epochLosses.add(sum / perEpoch);
            checkpoint(epoch + 1, iteration, sum / perEpoch);
        }
        return epochLosses;
    }

    /** One SGD step on a batch; returns the total loss before the step. */
    double step(List<Example> batch, Random random) {
        try (PointerScope scope = new PointerScope()) {
            List<Tensor> images = new ArrayList<>();
            List<Target> targets = new ArrayList<>();
            for (Example e : batch) {
                RgbImage rgb = e.image().get();
                Tensor image = Samples.image(rgb);
                Target target = Samples.target(e.instances(), rgb.height(), rgb.width());
                if (options.flip() && random.nextBoolean()) {
                    image = Samples.flipImage(image);
                    target = Samples.flipTarget(target, rgb.width());
                }
                images.add(image);
                targets.add(target);
            }
            MaskRcnn.Losses losses = model.losses(images, targets, random);
            double value = losses.totalValue();
            if (!Double.isFinite(value)) {
                throw new IllegalStateException("training diverged: loss is " + value + " (lower the learning rate)");
            }
            optimizer.zero_grad();
            losses.backward();
            optimizer.step();
            return value;
        }
    }

    /** Linear warm-up from lr × warmupFactor, then × decayFactor at each decay epoch. */
    double learningRate(long iteration, int epoch) {
        double lr = options.lr();
        for (int e : options.decayEpochs()) {
            if (epoch >= e) {
                lr *= options.decayFactor();
            }
        }
        if (iteration < options.warmupIterations()) {
            double alpha = (double) iteration / options.warmupIterations();
            lr *= options.warmupFactor() * (1 - alpha) + alpha;
        }
        return lr;
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
