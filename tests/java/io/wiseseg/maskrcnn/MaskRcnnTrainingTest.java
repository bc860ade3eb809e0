package io.wiseseg.maskrcnn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.wiseseg.data.AnnotatedImage;
import io.wiseseg.data.ImagePrediction;
import io.wiseseg.data.ProgressListener;
import io.wiseseg.data.SyntheticDataset;
import io.wiseseg.data.VocDataset;
import io.wiseseg.eval.EvaluationReport;
import io.wiseseg.eval.GroundTruth;
import io.wiseseg.eval.ReferenceAp;
import io.wiseseg.kernels.Device;
import io.wiseseg.backbone.ResNet;
import io.wiseseg.util.TorchRuntime;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.bytedeco.pytorch.global.torch;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Training on tiny synthetic images with a narrow ResNet-18-FPN: the loss falls, a few images are learnt. */
class MaskRcnnTrainingTest {
    private static VocDataset dataset;
    private static List<AnnotatedImage> train;

    @BeforeAll
    static void data(@TempDir Path dir) {
        dataset = tinyDataset(dir);
        train = dataset.annotated("train");
    }

    /**
     * The Mask R-CNN tests' data: four 64-pixel images of discs and squares, written under
     * {@code dir}; LibTorch and the kernels set to one thread for them.
     */
    static VocDataset tinyDataset(Path dir) {
        TorchRuntime.ensureLoaded();
        // One thread: with tiny tensors a 2-thread parallel region mostly waits for its second
        // thread, which on a loaded 2-core machine costs ~20 ms per operation (measured: 100 small
        // convolutions 2.3 s with 2 threads, 14 ms with 1).
        torch.set_num_threads(1);
        Device.cpu().setNumThreads(1);
        SyntheticDataset.Options o = new SyntheticDataset.Options(4, 64, 64, 5, 2, List.of("disc", "square"), 0.02, 0.0,
                false);
        return SyntheticDataset.generate(dir.resolve("synth"), o, ProgressListener.NONE);
    }

    /** The train split of {@code dataset} as training examples on its GT masks. */
    static List<MaskRcnnTrainer.Example> examples(VocDataset dataset) {
        List<MaskRcnnTrainer.Example> examples = new ArrayList<>();
        for (AnnotatedImage a : dataset.annotated("train")) {
            examples.add(new MaskRcnnTrainer.Example(a.image().id(), () -> dataset.readImage(a.image()), a.instances()));
        }
        return examples;
    }

    /** A narrow detector for 64-pixel images: few proposals and sampled RoIs. */
    static MaskRcnnConfig tiny() {
        return MaskRcnnConfig.small(SyntheticDataset.CLASSES.size() + 1)
                .withBackbone(ResNet.Depth.RESNET18, 8, 32, 128, 32).withSizes(128, 128)
                .withProposals(300, 100, 300, 100, 64);
    }

    static List<MaskRcnnTrainer.Example> examples() {
        List<MaskRcnnTrainer.Example> out = new ArrayList<>();
        for (AnnotatedImage a : train) {
            out.add(new MaskRcnnTrainer.Example(a.image().id(), () -> dataset.readImage(a.image()), a.instances()));
        }
        return out;
    }

    @Test
    void lossFallsAndAFewImagesAreLearnt(@TempDir Path out) {
        torch.manual_seed(1);
        MaskRcnn model = new MaskRcnn(tiny(), Device.cpu());
        MaskRcnnTrainer.Options options = new MaskRcnnTrainer.Options(100, 2, 0.02, 0.9, 1e-4, 20, 0.1, List.of(80), 0.1,
                true, 3);
        List<Double> losses = new MaskRcnnTrainer(model, dataset.classes(), options, out)
                .train(examples(), false, ProgressListener.NONE);
        double first = losses.get(0), last = losses.get(losses.size() - 1);
        assertTrue(last < 0.5 * first, "loss " + first + " → " + last);

        Predictor predictor = new Predictor(model);
        List<ImagePrediction> predictions = new ArrayList<>();
        for (AnnotatedImage a : train) {
            predictions.add(predictor.predict(a.image().id(), dataset.readImage(a.image())));
        }
        EvaluationReport report = new ReferenceAp().evaluate(GroundTruth.of(train), predictions, dataset.classes());
        System.out.println("overfit: loss " + first + " -> " + last + ", mask mAP50 " + report.mean("AP50"));
        assertTrue(report.mean("AP50") >= 0.9, "mask mAP50 on the training images: " + report.mean("AP50"));
    }

    @Test
    void checkpointsResumeAndReload(@TempDir Path out) {
        torch.manual_seed(2);
        MaskRcnn model = new MaskRcnn(tiny(), Device.cpu());
        MaskRcnnTrainer.Options one = new MaskRcnnTrainer.Options(1, 2, 0.01, 0.9, 1e-4, 2, 0.1, List.of(5), 0.1, true, 3);
        new MaskRcnnTrainer(model, dataset.classes(), one, out).train(examples(), false, ProgressListener.NONE);
        assertTrue(Files.isRegularFile(out.resolve(MaskRcnnCheckpoint.MODEL_FILE)));
        assertTrue(Files.isRegularFile(out.resolve(MaskRcnnCheckpoint.CONFIG_FILE)));
        MaskRcnnTrainer.Options two = new MaskRcnnTrainer.Options(2, 2, 0.01, 0.9, 1e-4, 2, 0.1, List.of(5), 0.1, true, 3);
        MaskRcnn resumed = new MaskRcnn(tiny(), Device.cpu());
        List<Double> more = new MaskRcnnTrainer(resumed, dataset.classes(), two, out)
                .train(examples(), true, ProgressListener.NONE);
        assertEquals(1, more.size(), "resume runs only the missing epoch");

        MaskRcnnCheckpoint checkpoint = MaskRcnnCheckpoint.load(out, Device.cpu());
        MaskRcnn reloaded = checkpoint.model();
        assertEquals(tiny(), reloaded.config());
        assertEquals(dataset.classes(), checkpoint.classes());
        var image = Samples.image(dataset.readImage(train.get(0).image()));
        Detections a = resumed.detect(List.of(image)).get(0), b = reloaded.detect(List.of(image)).get(0);
        assertArrayEquals(a.scores(), b.scores());
        assertArrayEquals(a.boxes(), b.boxes());
    }

    @Test
    void sgdStepReducesTheLossOfItsBatch() {
        torch.manual_seed(3);
        MaskRcnn model = new MaskRcnn(tiny(), Device.cpu());
        MaskRcnnTrainer trainer = new MaskRcnnTrainer(model, dataset.classes(),
                new MaskRcnnTrainer.Options(1, 1, 0.01, 0.0, 0.0, 0, 1.0, List.of(), 0.1, false, 0), Path.of("unused"));
        List<MaskRcnnTrainer.Example> batch = examples().subList(0, 1);
        double before = trainer.step(batch, new Random(0));
        double after = 0;
        for (int i = 0; i < 3; i++) {
            after = trainer.step(batch, new Random(0));
        }
        assertTrue(after < before, before + " → " + after);
    }
}
