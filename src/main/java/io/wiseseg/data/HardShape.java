package io.wiseseg.data;

/**
 * The object classes of the hard synthetic family. Unlike {@link SyntheticShape}, a class here has
 * no colour or texture of its own: every instance draws its palette and texture from one
 * distribution shared by all classes, so only the outline and the inner structure (holes, bars,
 * notches) tell the classes apart.
 * Shapes are tested in the object's own frame: (u, v) scaled so the shape fits the unit disc.
 */
public enum HardShape {
    /** An annulus: a disc with a round hole. */
    RING("ring") {
        @Override
        boolean contains(double u, double v) {
            double r2 = u * u + v * v;
            return r2 <= 1 && r2 >= 0.55 * 0.55;
        }
    },
    /** A disc with an offset disc cut away: one thick side tapering to two horns. */
    CRESCENT("crescent") {
        @Override
        boolean contains(double u, double v) {
            double du = u - 0.45;
            return u * u + v * v <= 1 && du * du + v * v > 0.8 * 0.8;
        }
    },
    /** A solid plus sign. */
    PLUS("plus") {
        @Override
        boolean contains(double u, double v) {
            double au = Math.abs(u), av = Math.abs(v);
            return (au <= 0.3 && av <= 0.95) || (av <= 0.3 && au <= 0.95);
        }
    },
    /** A square with a square hole. */
    FRAME("frame") {
        @Override
        boolean contains(double u, double v) {
            double m = Math.max(Math.abs(u), Math.abs(v));
            return m <= 0.72 && m >= 0.4;
        }
    },
    /** A shaft with a triangular head. */
    ARROW("arrow") {
        @Override
        boolean contains(double u, double v) {
            double av = Math.abs(v);
            boolean shaft = u >= -0.95 && u <= 0.2 && av <= 0.2;
            boolean head = u >= 0.2 && u <= 0.95 && av <= 0.62 * (0.95 - u) / 0.75;
            return shaft || head;
        }
    },
    /** A five-pointed star. */
    STAR("star") {
        @Override
        boolean contains(double u, double v) {
            double r = StrictMath.hypot(u, v);
            if (r > 1) {
                return false;
            }
            // Five points: the boundary radius falls linearly from 1 at a tip to 0.42 halfway.
            double sector = 2 * Math.PI / 5;
            double a = StrictMath.atan2(v, u) + Math.PI / 2;
            double f = Math.abs(((a % sector) + sector) % sector / sector - 0.5) * 2;
            return r <= 0.42 + 0.58 * f;
        }
    },
    /** An L: a vertical bar with a horizontal bar at its foot. */
    ELL("ell") {
        @Override
        boolean contains(double u, double v) {
            boolean upright = u >= -0.7 && u <= -0.2 && v >= -0.85 && v <= 0.8;
            boolean foot = u >= -0.7 && u <= 0.7 && v >= 0.3 && v <= 0.8;
            return upright || foot;
        }
    },
    /** A solid regular hexagon. */
    HEXAGON("hexagon") {
        private static final double S3 = Math.sqrt(3);

        @Override
        boolean contains(double u, double v) {
            double au = Math.abs(u), av = Math.abs(v);
            return av <= 0.9 * S3 / 2 && S3 * au + av <= S3 * 0.9;
        }
    },
    /** A heart: (x² + y² − 1)³ ≤ x² y³. */
    HEART("heart") {
        @Override
        boolean contains(double u, double v) {
            double x = u * 1.2, y = -v * 1.2 + 0.12;
            double q = x * x + y * y - 1;
            return q * q * q - x * x * y * y * y <= 0;
        }
    },
    /** A key: a ring-shaped bow, a shaft and two teeth. */
    KEY("key") {
        @Override
        boolean contains(double u, double v) {
            double du = u + 0.55;
            double r2 = du * du + v * v;
            boolean bow = r2 <= 0.42 * 0.42 && r2 >= 0.18 * 0.18;
            boolean shaft = u >= -0.2 && u <= 0.95 && Math.abs(v) <= 0.13;
            boolean teeth = v >= 0.13 && ((u >= 0.5 && u <= 0.64 && v <= 0.38) || (u >= 0.78 && u <= 0.92 && v <= 0.33));
            return bow || shaft || teeth;
        }
    };

    private final String label;

    HardShape(String label) {
        this.label = label;
    }

    /** Whether object-frame point (u, v) lies inside the silhouette. */
    abstract boolean contains(double u, double v);

    /** The class name written to the dataset. */
    public String label() {
        return label;
    }

    public static HardShape byLabel(String label) {
        for (HardShape s : values()) {
            if (s.label.equals(label)) {
                return s;
            }
        }
        throw new IllegalArgumentException("unknown class '" + label + "' of the hard family (known: "
                + String.join(", ", java.util.Arrays.stream(values()).map(HardShape::label).toList()) + ")");
    }
}
