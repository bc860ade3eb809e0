package io.wiseseg.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** {@code wiseseg version}: the product, Java and LibTorch versions. */
@Command(name = "version", description = "Print the wiseseg, Java and LibTorch versions.")
final class VersionCommand implements Runnable {
    static String productVersion() {
        String v = Main.class.getPackage().getImplementationVersion();
        return v == null ? "dev" : v;
    }

    @Override
    public void run() {
        System.out.println("wiseseg " + productVersion());
        System.out.println("java " + Runtime.version());
        System.out.println("libtorch " + io.wiseseg.util.TorchRuntime.version());
    }

    static final class Provider implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            return new String[] {"wiseseg " + productVersion()};
        }
    }
}
