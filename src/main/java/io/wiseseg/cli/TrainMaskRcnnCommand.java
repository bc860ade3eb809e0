package io.wiseseg.cli;

import io.wiseseg.data.AnnotatedImage;
import io.wiseseg.data.ClassSet;
import io.wiseseg.data.CocoDataset;
import io.wiseseg.data.CocoJson;
import io.wiseseg.data.Instance;
import io.wiseseg.data.LabelledImage;
import io.wiseseg.data.VocDataset;
import io.wiseseg.kernels.Device;
import io.wiseseg.maskrcnn.MaskRcnn;
import io.wiseseg.maskrcnn.MaskRcnnCheckpoint;
import io.wiseseg.maskrcnn.MaskRcnnConfig;
import io.wiseseg.maskrcnn.MaskRcnnTrainer;
import io.wiseseg.maskrcnn.MaskRcnnWeights;
import io.wiseseg.pipeline.TrainingExamples;
import io.wiseseg.prm.PrmCheckpoint;
import io.wiseseg.backbone.ResNet;
import io.wiseseg.util.StepSchedule;
import io.wiseseg.util.TorchRuntime;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import org.bytedeco.pytorch.global.torch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code wiseseg train-maskrcnn}: trains Mask R-CNN on pseudo labels (or a split's ground truth). */
@Command(name = "train-maskrcnn", mixinStandardHelpOptions = true,
        description = "Train Mask R-CNN (torchvision's R50-FPN, or a small ResNet-18-FPN) on COCO JSON instance "
                + "labels: WISE's pseudo masks, or the split's ground truth when --labels is omitted. "
                + "Checkpoints after every epoch; --resume continues. The length is --epochs, or --iterations "
                + "optimizer steps; the learning rate warms up over --warmup steps and drops × --lr-gamma at "
                + "--lr-steps.")
final class TrainMaskRcnnCommand implements Callable<Integer> {
    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @picocli.CommandLine.Mixin
    TraceOption trace;

    @picocli.CommandLine.Mixin
    DeviceOption deviceOption;

    enum Model { r50, small }

    @Option(names = "--dataset", required = true, paramLabel = "DIR", description = "Dataset root (VOC layout).")
    Path dataset;

    @Option(names = "--split", defaultValue = "train", description = "Split whose images train (default: ${DEFAULT-VALUE}).")
    String split;

    @Option(names = "--labels", paramLabel = "JSON", description = "COCO JSON instances (pseudo labels); default: ground truth.")
    Path labels;

    @Option(names = "--out", required = true, paramLabel = "DIR", description = "Folder for checkpoints and config.json.")
    Path out;

    @Option(names = "--model", defaultValue = "r50", description = "r50 (torchvision's maskrcnn_resnet50_fpn) or small "
            + "(ResNet-18-FPN, width 16, for CPUs) (default: ${DEFAULT-VALUE}).")
    Model model;

    @Option(names = "--min-size", description = "Short side after resizing (default: 800 for r50, 256 for small).")
    Integer minSize;

    @Option(names = "--max-size", description = "Long side limit (default: 1333 for r50, 512 for small).")
    Integer maxSize;

    @Option(names = "--backbone-weights", paramLabel = "PTH", description = "torchvision ImageNet ResNet state dict "
            + "(e.g. resnet50-0676ba61.pth) for backbone.body.")
    Path backboneWeights;

    @Option(names = "--weights", paramLabel = "PTH", description = "A whole Mask R-CNN state dict to start from "
            + "(torchvision's names; same number of classes).")
    Path weights;

    @Option(names = "--backbone-from-classifier", paramLabel = "RUN", description = "Start the backbone from a "
            + "train-classifier run's ResNet (same depth and width; e.g. --model small with a resnet18 --width 16 "
            + "classifier): features learnt from the same images' image-level labels.")
    Path backboneFromClassifier;

    @Option(names = "--epochs", defaultValue = "10", description = "Epochs (default: ${DEFAULT-VALUE}, as WISE).")
    int epochs;

    @Option(names = "--iterations", paramLabel = "N", description = "Train exactly N optimizer steps (batches), "
            + "cycling through shuffled epochs, instead of --epochs. " + Schedules.HOW_MANY)
    Integer iterations;

    @Option(names = "--lr-steps", paramLabel = "STEP", split = ",", description = "Optimizer steps (from 0) at "
            + "which the learning rate drops × --lr-gamma (default: one drop after two thirds of the epochs, or of "
            + "--iterations).")
    List<Integer> lrSteps;

    @Option(names = "--lr-gamma", paramLabel = "G", defaultValue = "0.1", description = "Learning-rate factor at each drop "
            + "(default: ${DEFAULT-VALUE}; 1: no drop).")
    double lrGamma;

    @Option(names = "--batch-size", defaultValue = "1", description = "Images per step (default: ${DEFAULT-VALUE}).")
    int batchSize;

    @Option(names = "--lr", defaultValue = "0.00125", description = "Learning rate (default: ${DEFAULT-VALUE}, WISE's).")
    double lr;

    @Option(names = "--warmup", defaultValue = "500", description = "Warm-up iterations (default: ${DEFAULT-VALUE}).")
    int warmup;

    @Option(names = "--max-grad-norm", paramLabel = "L", defaultValue = "0", description = "Scale each step's "
            + "gradients, all parameters together, down to a norm of at most L (torch's clip_grad_norm_); 0: no "
            + "limit (default). `run` and `demo` train with L = " + io.wiseseg.pipeline.WiseRun.MAX_GRAD_NORM + ".")
    double maxGradNorm;

    @Option(names = "--no-flip", description = "Disable random horizontal flips.")
    boolean noFlip;

    @Option(names = "--seed", defaultValue = "0", description = "Seed of the initialisation, the order and the "
            + "flips (default: ${DEFAULT-VALUE}).")
    long seed;

    @picocli.CommandLine.Mixin
    ThreadsOption threads;

    @Option(names = "--resume", description = "Continue from the checkpoint in --out.")
    boolean resume;

    @Override
    public Integer call() throws IOException {
        threads.value(); // a bad count is refused before any work
        StepSchedule schedule = Schedules.of(iterations, lrSteps, lrGamma,
                spec.commandLine().getParseResult().hasMatchedOption("--epochs"),
                "--iterations", "--lr-steps", "--lr-gamma", "--epochs");
        if (!(maxGradNorm >= 0) || Double.isInfinite(maxGradNorm)) {
            throw new UserException("--max-grad-norm must be a number >= 0 (0: no limit), got " + maxGradNorm);
        }
        TorchRuntime.ensureLoaded();
        Device device = deviceOption.resolve();
        VocDataset voc = VocDataset.open(dataset);
        if (!voc.splits().contains(split)) {
            throw new UserException(dataset + ": no split '" + split + "' (has " + voc.splits() + ")");
        }
        List<MaskRcnnTrainer.Example> examples = TrainingExamples.of(voc, dataset, split, labels);
        int classes = voc.classes().size() + 1;
        MaskRcnnConfig config = resume && Files.isRegularFile(out.resolve(MaskRcnnCheckpoint.CONFIG_FILE))
                ? MaskRcnnCheckpoint.readConfig(out) : config(classes);
        if (config.numClasses() != classes) {
            throw new UserException(out.resolve(MaskRcnnCheckpoint.CONFIG_FILE) + ": the checkpoint has "
                    + (config.numClasses() - 1) + " classes but " + dataset + " has " + (classes - 1));
        }
        threads.apply();
        torch.manual_seed(seed); // the initialisation too, as `run` and the demo seed it
        MaskRcnn net = new MaskRcnn(config, device);
        if (!resume) {
            try {
                if (weights != null) {
                    MaskRcnnWeights.loadModel(net, weights);
                } else if (backboneWeights != null) {
                    MaskRcnnWeights.loadBackbone(net, backboneWeights);
                } else if (backboneFromClassifier != null) {
                    MaskRcnnWeights.loadBackbone(net, PrmCheckpoint.loadNetwork(backboneFromClassifier).backbone(),
                            backboneFromClassifier.toString());
                }
            } catch (IllegalArgumentException e) {
                throw new UserException(e.getMessage());
            }
        }
        MaskRcnnTrainer.Options options = MaskRcnnTrainer.Options.wise(epochs, batchSize, lr, warmup, !noFlip, seed)
                .withSchedule(schedule).withMaxGradNorm(maxGradNorm);
        List<Double> losses;
        try (ProgressBarListener bar = new ProgressBarListener()) {
            losses = new MaskRcnnTrainer(net, voc.classes(), options, out).train(examples, resume, bar);
        }
        var w = spec.commandLine().getOut();
        int perEpoch = (examples.size() + batchSize - 1) / batchSize;
        int lastEpoch = schedule.byIterations() ? (schedule.iterations() + perEpoch - 1) / perEpoch : epochs;
        if (schedule.byIterations()) {
            w.printf("%d iterations: %d epochs of %d steps%s%n", schedule.iterations(), lastEpoch, perEpoch,
                    schedule.iterations() % perEpoch == 0 ? "" : ", the last one partial");
        }
        for (int i = 0; i < losses.size(); i++) {
            w.printf("epoch %d: mean loss %.4f%n", lastEpoch - losses.size() + i + 1, losses.get(i));
        }
        w.println("wrote " + out.resolve(MaskRcnnCheckpoint.MODEL_FILE));
        w.flush();
        return 0;
    }

    private MaskRcnnConfig config(int classes) {
        MaskRcnnConfig c = model == Model.r50 ? MaskRcnnConfig.torchvision(classes) : MaskRcnnConfig.small(classes);
        if (minSize != null || maxSize != null) {
            c = c.withSizes(minSize != null ? minSize : c.minSize(), maxSize != null ? maxSize : c.maxSize());
        }
        // torchvision: layer2..layer4 train on pretrained weights, every stage from scratch
        c = c.withTrainableBackboneLayers(weights == null && backboneWeights == null ? 5 : 3);
        if ((backboneWeights != null ? 1 : 0) + (weights != null ? 1 : 0) + (backboneFromClassifier != null ? 1 : 0) > 1) {
            throw new UserException("give one of --weights, --backbone-weights, --backbone-from-classifier");
        }
        if (model == Model.small && (backboneWeights != null || weights != null)) {
            throw new UserException("--backbone-weights/--weights need --model r50 (the small model has its own widths)");
        }
        return c;
    }
}
