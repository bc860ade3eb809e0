package io.wiseseg.data;

/**
 * The object classes of the synthetic benchmark. Each has a distinct silhouette and a
 * class-typical look (a base hue and a texture pattern), so that a classifier can tell them
 * apart from image-level labels while their masks stay far from their boxes (a ring, a star, a
 * cross or a triangle fills half its box or less).
 * Shapes are tested in the object's own frame: (u, v) scaled so the shape fits the unit disc.
 */
public enum SyntheticShape {
    DISC("disc", 0.02, Pattern.RADIAL) {
        @Override
        boolean contains(double u, double v) {
            return u * u + v * v <= 1;
        }
    },
    SQUARE("square", 0.62, Pattern.CHECKER) {
        @Override
        boolean contains(double u, double v) {
            return Math.abs(u) <= 0.72 && Math.abs(v) <= 0.72;
        }
    },
    TRIANGLE("triangle", 0.33, Pattern.STRIPES) {
        private static final double S3 = Math.sqrt(3);

        @Override
        boolean contains(double u, double v) {
            // Equilateral, vertices (0,-1), (±√3/2, 1/2): inside all three edges' half-planes.
            return v <= 0.5 && S3 * u - v <= 1 && -S3 * u - v <= 1;
        }
    },
    STAR("star", 0.15, Pattern.SPECKLE) {
        @Override
        boolean contains(double u, double v) {
            double r = Math.hypot(u, v);
            if (r > 1) {
                return false;
            }
            // Five points: the boundary radius falls linearly from 1 at a tip to 0.42 halfway.
            double sector = 2 * Math.PI / 5;
            double a = Math.atan2(v, u) + Math.PI / 2;
            double f = Math.abs(((a % sector) + sector) % sector / sector - 0.5) * 2;
            return r <= 0.42 + 0.58 * f;
        }
    },
    RING("ring", 0.80, Pattern.BANDS) {
        @Override
        boolean contains(double u, double v) {
            double r2 = u * u + v * v;
            return r2 <= 1 && r2 >= 0.55 * 0.55;
        }
    },
    CROSS("cross", 0.50, Pattern.DIAGONAL) {
        @Override
        boolean contains(double u, double v) {
            double au = Math.abs(u), av = Math.abs(v);
            return (au <= 0.28 && av <= 0.95) || (av <= 0.28 && au <= 0.95);
        }
    };

    /** How a surface's brightness varies; see {@link #value}. */
    enum Pattern { FLAT, RADIAL, CHECKER, STRIPES, SPECKLE, BANDS, DIAGONAL }

    private final String label;
    private final double hue;
    private final Pattern pattern;

    SyntheticShape(String label, double hue, Pattern pattern) {
        this.label = label;
        this.hue = hue;
        this.pattern = pattern;
    }

    /** Whether object-frame point (u, v) lies inside the silhouette. */
    abstract boolean contains(double u, double v);

    /** The class name written to the dataset. */
    public String label() {
        return label;
    }

    /** The class-typical hue in [0, 1). */
    double hue() {
        return hue;
    }

    Pattern pattern() {
        return pattern;
    }

    public static SyntheticShape byLabel(String label) {
        for (SyntheticShape s : values()) {
            if (s.label.equals(label)) {
                return s;
            }
        }
        throw new IllegalArgumentException("unknown synthetic class '" + label + "' (known: disc, square, "
                + "triangle, star, ring, cross)");
    }

    /**
     * A pattern's value in [0, 1] at object-frame (u, v) and image pixel (x, y): {@code frequency}
     * is in cycles per object radius, {@code salt} decorrelates speckle between surfaces.
     */
    static double value(Pattern p, double u, double v, int x, int y, double frequency, double phase, int salt) {
        double tau = 2 * Math.PI;
        return switch (p) {
            case FLAT -> 0.5;
            case RADIAL -> 1 - Math.min(1, Math.hypot(u, v));
            case CHECKER -> ((int) Math.floor(u * frequency + phase) + (int) Math.floor(v * frequency + phase) & 1);
            case STRIPES -> 0.5 + 0.5 * Math.sin(tau * v * frequency + phase);
            case SPECKLE -> hash01(x, y, salt);
            case BANDS -> 0.5 + 0.5 * Math.sin(tau * Math.hypot(u, v) * frequency + phase);
            case DIAGONAL -> 0.5 + 0.5 * Math.sin(tau * (u + v) * frequency * 0.7 + phase);
        };
    }

    /** A deterministic pseudo-random value in [0, 1) for a pixel (no shared generator state). */
    static double hash01(int x, int y, int salt) {
        int h = x * 0x27D4EB2D ^ y * 0x165667B1 ^ salt * 0x9E3779B9;
        h ^= h >>> 15;
        h *= 0x85EBCA6B;
        h ^= h >>> 13;
        h *= 0xC2B2AE35;
        h ^= h >>> 16;
        return (h >>> 8) / (double) (1 << 24);
    }
}
