package io.wiseseg.cli;

import io.wiseseg.kernels.Device;
import picocli.CommandLine.Option;

/**
 * {@code --device cpu|cuda[:N]} of every command that runs a network: where its models, tensors
 * and kernels live. A device this build or machine cannot serve is a one-line user error that
 * says what to install or rebuild, before any work starts.
 */
final class DeviceOption {
    @Option(names = "--device", paramLabel = "cpu|cuda[:N]", defaultValue = "cpu",
            description = "Where the networks and kernels run: cpu, cuda (GPU 0) or cuda:N; a GPU needs the "
                    + "gpu build (WISESEG_PROFILE=gpu ./wiseseg ..., or ./mvnw -Pgpu package). Default: ${DEFAULT-VALUE}.")
    String spec = "cpu";

    /** The device, or a UserException naming what is missing. */
    Device resolve() {
        try {
            return Device.parse(spec);
        } catch (IllegalArgumentException e) {
            // Device's messages start "device ...": name the flag instead
            String m = e.getMessage();
            throw new UserException("--" + (m.startsWith("device ") ? m : "device " + spec + ": " + m));
        }
    }
}
