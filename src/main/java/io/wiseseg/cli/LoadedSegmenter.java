package io.wiseseg.cli;

import io.wiseseg.kernels.Device;
import io.wiseseg.pipeline.Segmenter;
import io.wiseseg.util.TorchRuntime;
import java.nio.file.Path;
import org.bytedeco.pytorch.global.torch;

/** How {@code predict} and {@code serve} load a trained run: LibTorch first, the thread count, one-line errors. */
final class LoadedSegmenter {
    private LoadedSegmenter() {}

    /**
     * A segmenter for {@code checkpoint} on {@code device}; {@code threads} (if
     * given) for LibTorch's and our kernels' CPU work.
     */
    static Segmenter load(Path checkpoint, Integer threads, Device device) {
        TorchRuntime.ensureLoaded();
        if (threads != null) {
            torch.set_num_threads(threads);
            Device.cpu().setNumThreads(threads);
        }
        try {
            return Segmenter.load(checkpoint, device);
        } catch (IllegalArgumentException e) {
            throw new UserException(e.getMessage());
        }
    }
}
