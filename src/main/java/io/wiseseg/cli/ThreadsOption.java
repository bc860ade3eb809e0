package io.wiseseg.cli;

import io.wiseseg.kernels.Device;
import io.wiseseg.util.TorchRuntime;
import org.bytedeco.pytorch.global.torch;
import picocli.CommandLine.Option;

/**
 * {@code --threads N} of every command that runs a network: LibTorch's intra-op threads and our
 * kernels' CPU workers. Two runs side by side on one machine each want their share of the cores
 * (OMP_NUM_THREADS does the same for LibTorch alone); a server with several workers wants one each.
 */
final class ThreadsOption {
    static final String NAME = "--threads";

    @Option(names = NAME, paramLabel = "N", description = "CPU threads for LibTorch and the kernels (default: "
            + "LibTorch's, one per core).")
    Integer count;

    /** --threads, or null without it; a count below 1 is a one-line user error. */
    Integer value() {
        if (count != null && count < 1) {
            throw new UserException(NAME + " must be >= 1, got " + count);
        }
        return count;
    }

    /** Sets LibTorch's and the kernels' CPU threads to --threads, if it was given; call before any work. */
    void apply() {
        Integer n = value();
        if (n != null) {
            TorchRuntime.ensureLoaded(); // before any LibTorch class (see TorchRuntime)
            torch.set_num_threads(n);
            Device.cpu().setNumThreads(n);
        }
    }

    /**
     * The CPU threads LibTorch trains on now (--threads, else LibTorch's default: OMP_NUM_THREADS or
     * one per core), for a run's settings line: a reader comparing timings needs it.
     */
    static int inUse() {
        TorchRuntime.ensureLoaded();
        return torch.get_num_threads();
    }
}
