package io.wiseseg.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import io.wiseseg.data.VocDataset;
import io.wiseseg.testing.TinyVoc;
import io.wiseseg.util.TorchRuntime;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import org.bytedeco.pytorch.global.torch;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * LibTorch's thread count in each stage of a run: the pseudo masks (one image at a time through a
 * narrow network) on one thread, the Mask R-CNNs' training and prediction on the caller's, and the
 * caller's count back when the run ends. The run once left it at one for everything after the
 * pseudo masks, so its Mask R-CNNs trained on one core whatever the machine had.
 */
class RunThreadsTest {
    static {
        TorchRuntime.ensureLoaded();
    }

    @Test
    void theMaskRcnnsTrainOnTheCallersThreadsAndThePseudoMasksOnOne(@TempDir Path tmp) throws Exception {
        VocDataset voc = VocDataset.open(TinyVoc.write(tmp.resolve("voc"), 12, 4, 5));
        WiseRun.Settings s = WiseRun.Settings.forDataset(voc).withEpochs(1, 1).withOverlays(0).withUpperBound(false);
        Map<String, Set<Integer>> threadsByTask = new TreeMap<>();
        RunListener listener = (task, done, total) -> threadsByTask.computeIfAbsent(stage(task), k -> new TreeSet<>())
                .add(torch.get_num_threads());
        int before = torch.get_num_threads();
        torch.set_num_threads(2); // the caller's, one the run does not choose itself
        try {
            WiseRun.run(voc, s, tmp.resolve("run"), listener);
            assertEquals(2, torch.get_num_threads(), "the caller's count back after the run");
        } finally {
            torch.set_num_threads(before);
        }
        assertFalse(threadsByTask.getOrDefault("pseudo", Set.of()).isEmpty(), threadsByTask.toString());
        assertEquals(Set.of(1), threadsByTask.get("pseudo"), threadsByTask.toString());
        assertEquals(Set.of(2), threadsByTask.get("Mask R-CNN"), threadsByTask.toString());
    }

    /** "Mask R-CNN" for the Mask R-CNNs' progress, "pseudo" for the pseudo masks', else the task itself. */
    private static String stage(String task) {
        if (task.startsWith("Mask R-CNN")) {
            return "Mask R-CNN";
        }
        return task.startsWith("pseudo") ? "pseudo" : task;
    }
}
