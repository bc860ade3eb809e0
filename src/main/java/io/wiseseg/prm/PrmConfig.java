package io.wiseseg.prm;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.wiseseg.backbone.ResNet;
import io.wiseseg.util.AtomicFiles;
import io.wiseseg.util.StepSchedule;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/**
 * Everything that defines a PRM classifier run; written as config.json beside its checkpoint.
 * Defaults are PRM's / WISE's (ResNet-50, 448 px, batch 16, SGD lr 0.01, backbone ×0.01,
 * momentum 0.9, weight decay 1e-4, horizontal flip 0.5, 20 epochs).
 *
 * @param backbone          resnet18 | resnet34 | resnet50 | resnet101
 * @param width             the ResNet stem width (torchvision: 64)
 * @param classes           the class names, in id order
 * @param weights           the ImageNet .pth or the train-classifier run the backbone started from, or null
 *                          (from scratch)
 * @param imageSize         training images are resized to about this many pixels a side
 * @param scaleJitter       each batch's size is imageSize × a random factor in [1/s, s], in steps of 32 px
 * @param flipProbability   horizontal flip per image
 * @param backboneLrFactor  the backbone's learning rate is lr × this
 * @param trainBatchNorm    BatchNorm in training mode (for a backbone trained from scratch;
 *                          the reference freezes it, and inference always does)
 * @param checkpointEvery   steps between checkpoints (and one at the end)
 * @param outputStride      the backbone's output stride: 32 (PRM's), or 16 / 8 for finer response
 *                          maps on small images; 0 (a config written before it existed) reads as 32
 * @param iterations        0: train {@code epochs} epochs; else exactly this many optimizer steps,
 *                          cycling through shuffled epochs as needed ({@code epochs} is then unused)
 * @param lrSteps           optimizer steps (from 0) at which both learning rates drop × lrGamma;
 *                          none by default (a constant learning rate, PRM's)
 * @param lrGamma           the factor at each of lrSteps; 0 (a config written before it existed) reads as 0.1
 * @param recipe            pooling, loss and optimizer; null (a config written before it existed) reads as
 *                          {@link TrainingRecipe#PRM}
 */
public record PrmConfig(String backbone, int width, List<String> classes, String weights, String dataset,
        String split, int epochs, int batchSize, int imageSize, double scaleJitter, double flipProbability,
        double lr, double backboneLrFactor, boolean trainBatchNorm, double momentum, double weightDecay, long seed, int checkpointEvery, int outputStride,
        int iterations, List<Integer> lrSteps, double lrGamma, TrainingRecipe recipe) {
    public PrmConfig {
        if (recipe == null) {
            recipe = TrainingRecipe.PRM;
        }
        // a config written before schedules by iterations reads as a constant lr over its epochs
        StepSchedule schedule = new StepSchedule(iterations, lrSteps, lrGamma);
        lrSteps = schedule.lrSteps();
        lrGamma = schedule.lrGamma();
        if (outputStride == 0) {
            outputStride = 32;
        }
        if (outputStride != 8 && outputStride != 16 && outputStride != 32) {
            throw new IllegalArgumentException("output stride must be 8, 16 or 32, got " + outputStride);
        }
        ResNet.Depth.parse(backbone);
        requirePositive("width", width);
        requirePositive("epochs", epochs);
        requirePositive("batch size", batchSize);
        requirePositive("checkpoint interval", checkpointEvery);
        if (imageSize < 32) {
            throw new IllegalArgumentException("image size must be >= 32, got " + imageSize);
        }
        if (scaleJitter < 1) {
            throw new IllegalArgumentException("scale jitter must be >= 1 (1 = none), got " + scaleJitter);
        }
        if (lr <= 0) {
            throw new IllegalArgumentException("learning rate must be > 0, got " + lr);
        }
        classes = List.copyOf(classes);
    }

    /** A run by epochs at a constant learning rate and PRM's recipe (the config before schedules by iterations). */
    public PrmConfig(String backbone, int width, List<String> classes, String weights, String dataset, String split,
            int epochs, int batchSize, int imageSize, double scaleJitter, double flipProbability, double lr,
            double backboneLrFactor, boolean trainBatchNorm, double momentum, double weightDecay, long seed,
            int checkpointEvery, int outputStride) {
        this(backbone, width, classes, weights, dataset, split, epochs, batchSize, imageSize, scaleJitter,
                flipProbability, lr, backboneLrFactor, trainBatchNorm, momentum, weightDecay, seed, checkpointEvery,
                outputStride, 0, List.of(), StepSchedule.DEFAULT_GAMMA, TrainingRecipe.PRM);
    }

    /** PRM's defaults for a dataset of these classes. */
    public static PrmConfig defaults(List<String> classes, String dataset) {
        return new PrmConfig("resnet50", 64, classes, null, dataset, "train", 20, 16, 448, 1.25, 0.5,
                0.01, 0.01, false, 0.9, 1e-4, 0, 500, 32);
    }

    /** This config on {@code schedule} (its iterations, lr steps and gamma). */
    public PrmConfig withSchedule(StepSchedule schedule) {
        return new PrmConfig(backbone, width, classes, weights, dataset, split, epochs, batchSize, imageSize, scaleJitter,
                flipProbability, lr, backboneLrFactor, trainBatchNorm, momentum, weightDecay, seed, checkpointEvery,
                outputStride, schedule.iterations(), schedule.lrSteps(), schedule.lrGamma(), recipe);
    }

    /** This config trained by {@code recipe}. */
    public PrmConfig withRecipe(TrainingRecipe recipe) {
        return new PrmConfig(backbone, width, classes, weights, dataset, split, epochs, batchSize, imageSize, scaleJitter,
                flipProbability, lr, backboneLrFactor, trainBatchNorm, momentum, weightDecay, seed, checkpointEvery,
                outputStride, iterations, lrSteps, lrGamma, recipe);
    }

    /** The training length (steps of {@code stepsPerEpoch} batches each, by epochs) in optimizer steps. */
    public long totalSteps(int stepsPerEpoch) {
        return iterations > 0 ? iterations : (long) stepsPerEpoch * epochs;
    }

    public ResNet.Depth depth() {
        return ResNet.Depth.parse(backbone);
    }

    public PrmNetwork newNetwork() {
        return new PrmNetwork(depth(), width, classes.size(), outputStride);
    }

    public void write(Path file) throws IOException {
        ObjectMapper json = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
        AtomicFiles.write(file, tmp -> json.writeValue(tmp.toFile(), this));
    }

    public static PrmConfig read(Path file) {
        try {
            return new ObjectMapper().readValue(file.toFile(), PrmConfig.class);
        } catch (IOException e) {
            throw new IllegalArgumentException(file + ": not a PRM config (" + e.getMessage().lines().findFirst().orElse("") + ")");
        }
    }

    private static void requirePositive(String what, int v) {
        if (v < 1) {
            throw new IllegalArgumentException(what + " must be >= 1, got " + v);
        }
    }
}
