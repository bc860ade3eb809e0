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
     * A segmenter for {@code checkpoint} on {@code device}, LibTorch's and our kernels' CPU work
     * on {@code threads}.
     */
    static Segmenter load(Path checkpoint, ThreadsOption threads, Device device) {
        TorchRuntime.ensureLoaded();
        threads.apply();
        try {
            return Segmenter.load(checkpoint, device);
        } catch (IllegalArgumentException e) {
            throw new UserException(e.getMessage());
        }
    }
}
