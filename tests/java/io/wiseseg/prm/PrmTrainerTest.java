package io.wiseseg.prm;

import io.wiseseg.util.Tensors;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.wiseseg.data.ProgressListener;
import io.wiseseg.data.SyntheticDataset;
import io.wiseseg.data.VocDataset;
import io.wiseseg.kernels.Device;
import io.wiseseg.kernels.PeakFinder;
import io.wiseseg.util.TorchRuntime;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.bytedeco.pytorch.global.torch;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A tiny PRM classifier trained from scratch on the synthetic benchmark: the loss falls and the
 * held-out classification mAP is far above chance; checkpoints resume.
 */
class PrmTrainerTest {
    static {
        TorchRuntime.ensureLoaded();
        // One thread: on a shared 2-core machine OpenMP's spinning threads slow a tiny model ~5×.
        torch.set_num_threads(1);
    }

    @TempDir
    static Path tmp;
    static VocDataset dataset;

    @BeforeAll
    static void generate() {
        SyntheticDataset.Options o = new SyntheticDataset.Options(TRAIN_IMAGES + VAL_IMAGES, 96, 96, 11, 2,
                SyntheticDataset.CLASSES.names(), 0.03, (double) VAL_IMAGES / (TRAIN_IMAGES + VAL_IMAGES), false);
        dataset = SyntheticDataset.generate(tmp.resolve("synth"), o, ProgressListener.NONE);
    }

    static final int TRAIN_IMAGES = 1200, VAL_IMAGES = 100;

    static PrmConfig tiny(int epochs) {
        return new PrmConfig("resnet18", 16, SyntheticDataset.CLASSES.names(), null, "synth", "train", epochs, 16,
                96, 1.2, 0.5, 0.02, 1.0, true, 0.9, 1e-4, 1, 1000, 32);
    }

    @Test
    void lossFallsAndHeldOutMapIsFarAboveChance() throws Exception {
        torch.manual_seed(0);
        PrmTrainer.Trained run = new PrmTrainer(tiny(EPOCHS), new PeakFinder(Device.cpu()))
                .train(dataset, tmp.resolve("run"), false, ProgressListener.NONE);
        List<Double> losses = run.state().losses();
        int n = losses.size(), w = Math.min(10, n / 3);
        double first = mean(losses.subList(0, w)), last = mean(losses.subList(n - w, n));
        PeakResponseMaps prm = new PeakResponseMaps(run.network(), new PeakStimulation(new PeakFinder(Device.cpu())),
                0f, 0f);
        PrmEvaluation.Classification c = PrmEvaluation.classification(prm, dataset, "val", 96, ProgressListener.NONE);
        PrmEvaluation.Localisation l = PrmEvaluation.localisation(prm, dataset, "val", 96,
                PrmEvaluation.PointRule.RESPONSE_MAX, false, ProgressListener.NONE);
        PrmEvaluation.Localisation labelled = PrmEvaluation.localisation(prm, dataset, "val", 96,
                PrmEvaluation.PointRule.RESPONSE_MAX, true, ProgressListener.NONE);
        System.out.printf("PRM tiny: loss %.4f -> %.4f over %d steps; val mAP %.3f (chance %.3f); localisation %s%n",
                first, last, n, c.meanAp(), c.chanceMeanAp(), l);
        assertTrue(last < 0.8 * first, "loss " + first + " -> " + last);
        assertTrue(c.meanAp() > c.chanceMeanAp() + 0.25, "val mAP " + c.meanAp() + " vs chance " + c.chanceMeanAp());
        // With the image labels every labelled class keeps at least its strongest peak, and a labelled
        // class keeps every peak it had without them: no instance can lose its peak.
        int labelCount = dataset.labelled("val").stream().mapToInt(i -> i.labels().length).sum();
        assertTrue(labelled.peaks() >= labelCount, labelled.peaks() + " peaks for " + labelCount + " labels");
        assertEquals(l.instances(), labelled.instances());
        assertTrue(labelled.instanceRecall() >= l.instanceRecall(), labelled + " vs " + l);
        // The size split counts every instance once, and its found ones are the recall's.
        for (PrmEvaluation.Localisation x : List.of(l, labelled)) {
            var all = x.instancesBySize();
            var hit = x.foundBySize();
            assertEquals(x.instances(), all.small() + all.medium() + all.large(), x.toString());
            assertEquals(Math.round(x.instanceRecall() * x.instances()), hit.small() + hit.medium() + hit.large());
            assertTrue(hit.small() <= all.small() && hit.medium() <= all.medium() && hit.large() <= all.large());
        }
        assertTrue(Files.isRegularFile(tmp.resolve("run").resolve(PrmCheckpoint.MODEL)));
        assertEquals(tiny(EPOCHS), PrmCheckpoint.config(tmp.resolve("run")));
    }

    static final int EPOCHS = 14;

    @Test
    void resumesFromItsLastCheckpoint() throws Exception {
        Path out = tmp.resolve("resume");
        PrmConfig twoSteps = new PrmConfig("resnet18", 8, SyntheticDataset.CLASSES.names(), null, "synth", "train", 1, TRAIN_IMAGES / 2,
                64, 1.0, 0.5, 0.01, 1.0, false, 0.9, 1e-4, 1, 1, 32);
        PrmTrainer trainer = new PrmTrainer(twoSteps, new PeakFinder(Device.cpu()));
        PrmTrainer.Trained full = trainer.train(dataset, out, false, ProgressListener.NONE);
        assertEquals(2, full.state().step());
        // Resuming a finished run trains no further step and keeps the history.
        PrmTrainer.Trained again = trainer.train(dataset, out, true, ProgressListener.NONE);
        assertEquals(full.state(), again.state());
        PrmNetwork loaded = PrmCheckpoint.loadNetwork(out);
        assertArrayEquals(Tensors.toFloats(full.network().classifierWeight()),
                Tensors.toFloats(loaded.classifierWeight()));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> trainer.train(dataset, tmp.resolve("empty"), true, ProgressListener.NONE));
        assertTrue(e.getMessage().startsWith("--resume: no checkpoint in"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> PrmCheckpoint.loadNetwork(tmp.resolve("nothing")));
    }

    private static double mean(List<Double> xs) {
        return xs.stream().mapToDouble(Double::doubleValue).average().orElse(Double.NaN);
    }
}
