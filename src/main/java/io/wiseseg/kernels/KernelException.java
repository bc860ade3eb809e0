package io.wiseseg.kernels;

/** A native kernel reported a failure (status code != 0); the message is the kernel's own. */
public final class KernelException extends RuntimeException {
    private final int status;

    KernelException(String operation, int status, String message) {
        super(operation + " failed (" + statusName(status) + "): " + message);
        this.status = status;
    }

    public int status() {
        return status;
    }

    static String statusName(int status) {
        return switch (status) {
            case 1 -> "invalid argument";
            case 2 -> "CUDA error";
            case 3 -> "internal error";
            default -> "status " + status;
        };
    }
}
