package io.wiseseg.cli;

import io.wiseseg.kernels.Device;
import picocli.CommandLine.Command;

/** {@code wiseseg device}: which kernel library is active, and why CUDA is not when it is not. */
@Command(name = "device", description = "Show which kernel library is active (CPU, or CUDA with the GPU name).")
final class DeviceCommand implements Runnable {
    @Override
    public void run() {
        String why = Device.cudaUnavailableReason();
        Device active = Device.best();
        System.out.println("active: " + active.description());
        System.out.println("cpu:    " + Device.cpu().description());
        System.out.println("cuda:   " + (why == null ? "available" : why));
    }
}
