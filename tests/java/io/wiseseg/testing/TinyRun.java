package io.wiseseg.testing;

import io.wiseseg.backbone.ResNet;
import io.wiseseg.data.AnnotatedImage;
import io.wiseseg.data.ProgressListener;
import io.wiseseg.data.SyntheticDataset;
import io.wiseseg.data.VocDataset;
import io.wiseseg.kernels.Device;
import io.wiseseg.maskrcnn.MaskRcnn;
import io.wiseseg.maskrcnn.MaskRcnnConfig;
import io.wiseseg.maskrcnn.MaskRcnnTrainer;
import io.wiseseg.util.TorchRuntime;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;
import org.bytedeco.pytorch.global.torch;

/**
 * A tiny trained run folder, as {@code train-maskrcnn --out} writes it: a narrow ResNet-18-FPN
 * trained for a few seconds on four 64×64 synthetic JPEGs until it finds their shapes. Trained
 * once per test JVM and shared by the tests of the Java API; deleted when the JVM exits.
 */
public final class TinyRun {
    private static final int EPOCHS = 30;
    private static Path root;

    private TinyRun() {}

    /** The run folder (config.json + model.pt). */
    public static synchronized Path dir() {
        if (root == null) {
            root = train();
        }
        return root.resolve("run");
    }

    /** The training images, JPEG files the run has learnt. */
    public static List<Path> images() {
        dir();
        try (Stream<Path> files = Files.list(root.resolve("synth/JPEGImages"))) {
            return files.sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static Path train() {
        TorchRuntime.ensureLoaded();
        // one LibTorch thread: tiny tensors on a busy 2-core machine (see MaskRcnnTrainingTest)
        torch.set_num_threads(1);
        Device.cpu().setNumThreads(1);
        try {
            Path tmp = Files.createTempDirectory("wiseseg-tinyrun");
            Runtime.getRuntime().addShutdownHook(new Thread(() -> delete(tmp)));
            VocDataset data = SyntheticDataset.generate(tmp.resolve("synth"), new SyntheticDataset.Options(4, 64, 64,
                    5, 2, List.of("disc", "square"), 0.02, 0.0, true), ProgressListener.NONE);
            List<MaskRcnnTrainer.Example> examples = new ArrayList<>();
            for (AnnotatedImage a : data.annotated("train")) {
                examples.add(new MaskRcnnTrainer.Example(a.image().id(), () -> data.readImage(a.image()), a.instances()));
            }
            MaskRcnnConfig config = MaskRcnnConfig.small(data.classes().size() + 1)
                    .withBackbone(ResNet.Depth.RESNET18, 8, 32, 128, 32).withSizes(64, 64)
                    .withProposals(300, 100, 300, 100, 64);
            torch.manual_seed(1);
            MaskRcnn model = new MaskRcnn(config, Device.cpu());
            MaskRcnnTrainer.Options options = new MaskRcnnTrainer.Options(EPOCHS, 2, 0.02, 0.9, 1e-4, 10, 0.1,
                    List.of(EPOCHS * 4 / 5), 0.1, true, 3);
            new MaskRcnnTrainer(model, data.classes(), options, tmp.resolve("run"))
                    .train(examples, false, ProgressListener.NONE);
            return tmp;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void delete(Path dir) {
        try (Stream<Path> all = Files.walk(dir)) {
            all.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            // best effort: a temp folder
        }
    }
}
