package io.wiseseg.cli;

import io.wiseseg.kernels.Device;
import io.wiseseg.util.CpuInfo;
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
        // what --device cuda needs besides our kernels: LibTorch's own CUDA build and a GPU
        String torchCuda;
        try {
            Device.parse("cuda");
            torchCuda = "yes: --device cuda works (" + org.bytedeco.pytorch.global.torch.cuda_device_count() + " GPUs)";
        } catch (IllegalArgumentException e) {
            torchCuda = "no: " + e.getMessage();
        }
        System.out.println("--device cuda:    " + torchCuda);
        // the CPU code paths: float32 results differ in their last bits between them
        System.out.println("cpu model:        " + CpuInfo.modelName());
        System.out.println("libtorch aten:    " + CpuInfo.atenCapability() + " (ATEN_CPU_CAPABILITY caps it)");
        System.out.println("libtorch onednn:  max ISA " + CpuInfo.onednnMaxIsa() + " (ONEDNN_MAX_CPU_ISA)");
        System.out.println("wiseseg kernels:  " + Device.cpu().cpuIsa() + " path (WISESEG_MAX_CPU_ISA caps it)");
        System.out.println("kernel library:   " + active.libraryFile());
        System.out.println("libtorch threads: " + io.wiseseg.util.TorchRuntime.torchThreads());
        System.out.println("openmp waits:     " + io.wiseseg.util.TorchRuntime.openMpWaitPolicy());
        System.out.println("openblas threads: " + io.wiseseg.util.TorchRuntime.openBlasThreads());
        System.out.println("nnpack:           " + io.wiseseg.util.TorchRuntime.nnpack());
    }
}
