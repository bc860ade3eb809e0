package io.wiseseg.pipeline;

import io.wiseseg.data.Dataset;
import io.wiseseg.data.ProgressListener;
import io.wiseseg.kernels.Device;
import io.wiseseg.kernels.PeakFinder;
import io.wiseseg.prm.PrmCheckpoint;
import io.wiseseg.prm.PrmConfig;
import io.wiseseg.prm.PrmTrainer;
import io.wiseseg.util.TorchRuntime;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * WISE's first stage: a PRM classifier trained on image-level labels only (which classes each
 * image shows), whose class response maps peak at object instances.
 */
public final class ClassifierTraining {
    private ClassifierTraining() {}

    /**
     * Trains a classifier into {@code dir} (checkpoints every {@link PrmConfig#checkpointEvery()}
     * steps), or continues the run a checkpoint in {@code dir} left, or returns it when it is
     * finished. Loads LibTorch itself.
     *
     * @throws IllegalArgumentException when {@code dir} holds a run with other settings (the message
     *                                  names them), or the dataset's classes differ from the config's
     */
    public static PrmTrainer.Trained train(Dataset data, PrmConfig config, Path dir, ProgressListener listener)
            throws IOException {
        return train(data, config, dir, Device.cpu(), listener);
    }

    /** As above, on {@code device}: the network, its batches and its peak kernel. */
    public static PrmTrainer.Trained train(Dataset data, PrmConfig config, Path dir, Device device,
            ProgressListener listener) throws IOException {
        TorchRuntime.ensureLoaded();
        boolean resume = Files.isRegularFile(dir.resolve(PrmCheckpoint.STATE));
        return new PrmTrainer(config, new PeakFinder(device)).train(data, dir, resume, listener);
    }
}
