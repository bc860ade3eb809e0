package io.wiseseg.cli;

import io.wiseseg.kernels.Device;
import io.wiseseg.pipeline.Segmenter;
import io.wiseseg.util.TorchRuntime;
import java.nio.file.Path;
import org.bytedeco.pytorch.global.torch;

/** How {@code predict} and {@code serve} load a trained run: LibTorch first, the thread count, one-line errors. */
final class LoadedSegmenter {
    private LoadedSegmenter() {}

    /** A segmenter on the CPU for {@code checkpoint}; {@code threads} (if given) for LibTorch and our kernels. */
    static Segmenter load(Path checkpoint, Integer threads) {
        TorchRuntime.ensureLoaded();
        if (threads != null) {
            torch.set_num_threads(threads);
            Device.cpu().setNumThreads(threads);
        }
        try {
            return Segmenter.load(checkpoint, Device.cpu());
        } catch (IllegalArgumentException e) {
            throw new UserException(e.getMessage());
        }
    }
}
