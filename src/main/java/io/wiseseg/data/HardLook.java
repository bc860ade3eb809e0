package io.wiseseg.data;

import java.util.EnumSet;
import java.util.List;
import java.util.Locale;

/**
 * How hard the hard family looks, apart from its classes and sizes: the objects' extent (a share
 * of the image's shorter side, drawn log-uniformly), how far they are rotated, which surface
 * patterns they and the clutter draw from, how much clutter there is and how often it lies in
 * front of the objects. {@link #defaults()} is the family as first written (objects 8–50 %, any
 * rotation, all seven patterns, up to five clutter surfaces, 40 % of them in front); narrower
 * settings give an easier variant for a from-scratch network (see README, "the hard family").
 * Whatever the setting, colour and pattern stay shared by all classes: only shape tells them apart.
 */
public record HardLook(double minExtent, double maxExtent, double maxTiltDegrees, List<Pattern> patterns,
        int maxClutter, double frontShare) {

    /** A surface's pattern: two colours mixed by one of these. */
    public enum Pattern { FLAT, STRIPES, DOTS, GRADIENT, RADIAL, NOISE, CHECKER;

        /** The pattern called {@code name} (any case), else an error that lists the known ones. */
        public static Pattern byName(String name) {
            try {
                return valueOf(name.strip().toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("unknown pattern '" + name + "' (known: "
                        + String.join(", ", EnumSet.allOf(Pattern.class).stream().map(Pattern::label).toList()) + ")");
            }
        }

        public String label() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    public HardLook {
        if (!(minExtent > 0) || !(maxExtent >= minExtent) || maxExtent > 1) {
            throw new IllegalArgumentException("object extent must satisfy 0 < min <= max <= 1 (shares of the shorter "
                    + "side), got " + minExtent + ".." + maxExtent);
        }
        if (!(maxTiltDegrees >= 0 && maxTiltDegrees <= 180)) {
            throw new IllegalArgumentException("the largest tilt must lie in 0..180 degrees, got " + maxTiltDegrees);
        }
        if (patterns == null || patterns.isEmpty()) {
            throw new IllegalArgumentException("at least one surface pattern is needed");
        }
        patterns = List.copyOf(EnumSet.copyOf(patterns));
        if (maxClutter < 0) {
            throw new IllegalArgumentException("the clutter count must be >= 0, got " + maxClutter);
        }
        if (!(frontShare >= 0 && frontShare <= 1)) {
            throw new IllegalArgumentException("the share of clutter in front must lie in 0..1, got " + frontShare);
        }
    }

    /** The family as first written: objects 8–50 %, any rotation, all patterns, 0–5 clutter, 40 % in front. */
    public static HardLook defaults() {
        return new HardLook(0.08, 0.5, 180, List.of(Pattern.values()), 5, 0.4);
    }

    /** Whether the objects may take any rotation (the default), rather than a tilt about upright. */
    boolean anyRotation() {
        return maxTiltDegrees >= 180;
    }

    /** One line for {@code synthetic.txt}. */
    String describe() {
        return String.format(Locale.ROOT, "extent=%s-%s tilt=%s patterns=%s clutter=%d front=%s", minExtent, maxExtent,
                maxTiltDegrees, String.join(",", patterns.stream().map(Pattern::label).toList()), maxClutter, frontShare);
    }
}
