package io.wiseseg.cli;

import io.wiseseg.data.VocDataset;
import io.wiseseg.kernels.Device;
import io.wiseseg.kernels.PeakFinder;
import io.wiseseg.prm.PrmCheckpoint;
import io.wiseseg.prm.PrmConfig;
import io.wiseseg.prm.PrmTrainer;
import io.wiseseg.prm.TrainingRecipe;
import io.wiseseg.util.StepSchedule;
import io.wiseseg.util.TorchRuntime;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code wiseseg train-classifier}: trains the PRM classifier on image-level labels. */
@Command(name = "train-classifier", mixinStandardHelpOptions = true,
        description = "Train the PRM classifier (ResNet + class response maps + peak stimulation) on the "
                + "image-level labels of a VOC-layout dataset. Checkpoints go to --out; --resume continues. The length "
                + "is --epochs, or --iterations optimizer steps; the learning rate drops × --lr-gamma at --lr-steps.")
final class TrainClassifierCommand implements Runnable {
    private static final PrmConfig D = PrmConfig.defaults(List.of("x"), "");

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @picocli.CommandLine.Mixin
    TraceOption trace;

    @picocli.CommandLine.Mixin
    DeviceOption deviceOption;

    @picocli.CommandLine.Mixin
    ThreadsOption threads;

    @Option(names = "--dataset", required = true, paramLabel = "DIR", description = "Dataset root (VOC layout).")
    Path dataset;

    @Option(names = "--split", description = "Training split (default: ${DEFAULT-VALUE}).")
    String split = D.split();

    @Option(names = "--out", required = true, paramLabel = "DIR", description = "Checkpoint directory.")
    Path out;

    @Option(names = "--resume", description = "Continue from the checkpoint in --out (same options).")
    boolean resume;

    @Option(names = "--backbone", description = "resnet18, resnet34, resnet50 or resnet101 (default: ${DEFAULT-VALUE}).")
    String backbone = D.backbone();

    @Option(names = "--width", description = "ResNet stem width; torchvision's is 64 (default: ${DEFAULT-VALUE}).")
    int width = D.width();

    @Option(names = "--output-stride", description = "The backbone's output stride: 32 (PRM's), or 16 / 8 for finer "
            + "class response maps on small images (default: ${DEFAULT-VALUE}).")
    int outputStride = D.outputStride();

    @Option(names = "--weights", paramLabel = "FILE|RUN", description = "ImageNet weights (.pth state dict of "
            + "torchvision's ResNet), or a train-classifier run whose backbone (same depth and width) starts this "
            + "one, e.g. one pretrained on the image labels of a larger dataset; default: train from scratch.")
    Path weights;

    @Option(names = "--epochs", description = "Epochs (default: ${DEFAULT-VALUE}).")
    int epochs = D.epochs();

    @Option(names = "--iterations", paramLabel = "N", description = "Train exactly N optimizer steps (batches), "
            + "cycling through shuffled epochs, instead of --epochs. " + Schedules.HOW_MANY)
    Integer iterations;

    @Option(names = "--lr-steps", paramLabel = "STEP", split = ",", description = "Optimizer steps (from 0) at "
            + "which both learning rates drop × --lr-gamma (default: none, a constant rate as PRM's).")
    List<Integer> lrSteps;

    @Option(names = "--lr-gamma", paramLabel = "G", description = "Learning-rate factor at each of --lr-steps (default: ${DEFAULT-VALUE}).")
    double lrGamma = D.lrGamma();

    @Option(names = "--batch-size", description = "Images per step (default: ${DEFAULT-VALUE}).")
    int batchSize = D.batchSize();

    @Option(names = "--image-size", description = "Training image side in pixels (default: ${DEFAULT-VALUE}).")
    int imageSize = D.imageSize();

    @Option(names = "--scale-jitter", description = "Per-batch scale factor in [1/s, s] (default: ${DEFAULT-VALUE}).")
    double scaleJitter = D.scaleJitter();

    @Option(names = "--flip", description = "Horizontal flip probability (default: ${DEFAULT-VALUE}).")
    double flip = D.flipProbability();

    @Option(names = "--lr", description = "Learning rate of the classifier (default: ${DEFAULT-VALUE}; with Adam "
            + "0.001).")
    double lr = D.lr();

    /** Adam's usual rate: at SGD's 0.01 it overshoots from the first steps. */
    static final double ADAM_DEFAULT_LR = 0.001;

    /** From scratch the backbone must learn at the full rate: 0.01 (PRM's, for ImageNet weights) leaves it random. */
    static final double FROM_SCRATCH_BACKBONE_LR_FACTOR = 1;

    @Option(names = "--backbone-lr-factor", description = "Backbone learning rate = lr × this "
            + "(default: with --weights PRM's 0.01; from scratch 1, since at 0.01 a random backbone hardly trains).")
    Double backboneLrFactor;

    @Option(names = "--train-batchnorm", description = "BatchNorm in training mode (for a backbone trained from "
            + "scratch; the reference freezes it).")
    boolean trainBatchNorm;

    @Option(names = "--pooling", paramLabel = "peaks|max", description = "A class map's score in training: "
            + "peaks (PRM's peak stimulation, what the pseudo masks need) or max (the map's maximum; see --pretraining) "
            + "(default: ${DEFAULT-VALUE}).")
    String pooling = TrainingRecipe.cliName(TrainingRecipe.PRM.pooling());

    @Option(names = "--loss", paramLabel = "soft-margin|softmax", description = "soft-margin (PRM's, per class) or "
            + "softmax (cross-entropy over classes; every image needs a label) (default: ${DEFAULT-VALUE}).")
    String loss = TrainingRecipe.cliName(TrainingRecipe.PRM.loss());

    @Option(names = "--optimizer", paramLabel = "sgd|adam", description = "(default: ${DEFAULT-VALUE}).")
    String optimizer = TrainingRecipe.cliName(TrainingRecipe.PRM.optimizer());

    @Option(names = "--pretraining", description = "Shorthand for --pooling max --loss softmax --optimizer adam: "
            + "to train a backbone from scratch on single-object images before PRM's recipe (--weights RUN), "
            + "where PRM's own recipe stays at the label prior.")
    boolean pretraining;

    @Option(names = "--max-grad-norm", paramLabel = "L", defaultValue = "0", description = "Scale each step's "
            + "gradients, all parameters together, down to at most this L2 norm (0: no limit; default: ${DEFAULT-VALUE}); "
            + "it bounds gradients, not Adam's steps: the pretraining's late loss spikes came with ordinary norms "
            + "(the run prints their median and largest).")
    double maxGradNorm;

    @Option(names = "--momentum", description = "SGD momentum (default: ${DEFAULT-VALUE}).")
    double momentum = D.momentum();

    @Option(names = "--weight-decay", description = "SGD weight decay (default: ${DEFAULT-VALUE}).")
    double weightDecay = D.weightDecay();

    @Option(names = "--seed", description = "Seed of the shuffling and augmentation (default: ${DEFAULT-VALUE}).")
    long seed = D.seed();

    @Option(names = "--checkpoint-every", description = "Steps between checkpoints (default: ${DEFAULT-VALUE}).")
    int checkpointEvery = D.checkpointEvery();

    /** The flag, or its default: PRM's factor for ImageNet weights, the full rate from scratch. */
    double backboneLrFactor() {
        if (backboneLrFactor != null) {
            return backboneLrFactor;
        }
        return weights != null ? D.backboneLrFactor() : FROM_SCRATCH_BACKBONE_LR_FACTOR;
    }

    @Override
    public void run() {
        StepSchedule schedule = Schedules.of(iterations, lrSteps, lrGamma,
                spec.commandLine().getParseResult().hasMatchedOption("--epochs"),
                "--iterations", "--lr-steps", "--lr-gamma", "--epochs");
        TrainingRecipe recipe = recipe();
        TorchRuntime.ensureLoaded(); // before any LibTorch class (see TorchRuntime)
        threads.apply();
        Device device = deviceOption.resolve();
        if (weights != null && !Files.isRegularFile(weights) && !PrmCheckpoint.isRun(weights)) {
            throw new UserException(Files.isDirectory(weights)
                    ? "--weights: " + weights + " is not a train-classifier run (no " + PrmCheckpoint.CONFIG + " and "
                            + PrmCheckpoint.MODEL + ")"
                    : "--weights: no such file: " + weights);
        }
        VocDataset voc = VocDataset.open(dataset);
        PrmConfig config = new PrmConfig(backbone, width, voc.classes().names(),
                weights == null ? null : weights.toAbsolutePath().toString(), dataset.toAbsolutePath().toString(),
                split, epochs, batchSize, imageSize, scaleJitter, flip, lr(recipe), backboneLrFactor(), trainBatchNorm, momentum,
                weightDecay, seed, checkpointEvery, outputStride).withSchedule(schedule).withRecipe(recipe);
        org.bytedeco.pytorch.global.torch.manual_seed(seed);
        PrmTrainer.Trained trained;
        try (ProgressBarListener bar = new ProgressBarListener()) {
            trained = new PrmTrainer(config, new PeakFinder(device)).train(voc, out, resume, bar);
        } catch (IOException e) {
            throw new UserException("cannot write the checkpoint in " + out + " (" + e.getMessage() + ")");
        }
        List<Double> losses = trained.state().losses();
        PrintWriter w = spec.commandLine().getOut();
        int n = losses.size(), k = Math.max(1, Math.min(20, n / 5));
        w.printf("trained %d steps; mean loss of the first %d steps %.4f, of the last %d %.4f; checkpoint in %s%n",
                n, k, mean(losses.subList(0, Math.min(k, n))), k, mean(losses.subList(Math.max(0, n - k), n)), out);
        List<Double> gradNorms = trained.state().gradNorms(); // the last steps' (older states recorded none)
        String norms = gradientNorms(gradNorms, n - gradNorms.size(), recipe.maxGradNorm());
        if (!norms.isEmpty()) {
            w.println(norms);
        }
        w.flush();
    }

    /** --lr, or without it the default of the recipe's optimizer. */
    double lr(TrainingRecipe recipe) {
        boolean given = spec.commandLine().getParseResult().hasMatchedOption("--lr");
        return given || recipe.optimizer() != TrainingRecipe.OptimizerKind.ADAM ? lr : ADAM_DEFAULT_LR;
    }

    /** --pretraining, or the three recipe options (which may not be combined with it). */
    TrainingRecipe recipe() {
        var parsed = spec.commandLine().getParseResult();
        if (pretraining) {
            for (String o : List.of("--pooling", "--loss", "--optimizer")) {
                if (parsed.hasMatchedOption(o)) {
                    throw new UserException("--pretraining sets " + o + " itself: give one or the other");
                }
            }
            return TrainingRecipe.PRETRAINING.withMaxGradNorm(maxGradNorm());
        }
        try {
            return new TrainingRecipe(TrainingRecipe.parse(TrainingRecipe.Pooling.class, pooling, "--pooling"),
                    TrainingRecipe.parse(TrainingRecipe.Loss.class, loss, "--loss"),
                    TrainingRecipe.parse(TrainingRecipe.OptimizerKind.class, optimizer, "--optimizer"), maxGradNorm());
        } catch (IllegalArgumentException e) {
            throw new UserException(e.getMessage());
        }
    }

    private double maxGradNorm() {
        if (!(maxGradNorm >= 0) || Double.isInfinite(maxGradNorm)) {
            throw new UserException("--max-grad-norm must be a number >= 0 (0: no limit), got " + maxGradNorm);
        }
        return maxGradNorm;
    }

    /**
     * "gradient norm before any limit: median M, largest X at step S[; over the limit L at K of N
     * steps]" of steps {@code first}, first + 1, ...; empty for none.
     */
    static String gradientNorms(List<Double> norms, long first, double limit) {
        if (norms.isEmpty()) {
            return "";
        }
        double[] sorted = norms.stream().mapToDouble(Double::doubleValue).sorted().toArray();
        int largest = 0;
        for (int i = 1; i < norms.size(); i++) {
            if (norms.get(i) > norms.get(largest)) {
                largest = i;
            }
        }
        int n = sorted.length;
        double median = n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
        String line = String.format(Locale.ROOT, "gradient norm before any limit: median %.3g, largest %.3g at step %d",
                median, sorted[n - 1], first + largest);
        if (limit > 0) {
            long over = norms.stream().filter(v -> v > limit).count();
            line += String.format(Locale.ROOT, "; over the limit %.3g at %d of %d steps", limit, over, n);
        }
        return line;
    }

    private static double mean(List<Double> xs) {
        return xs.stream().mapToDouble(Double::doubleValue).average().orElse(Double.NaN);
    }
}
