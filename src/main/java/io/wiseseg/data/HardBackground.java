package io.wiseseg.data;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.stream.Stream;

/**
 * Backgrounds of the hard synthetic family, with the statistics of natural images rather than
 * flat colour: three procedural sources and, optionally, crops of photographs.
 * <ul>
 * <li>{@link Source#SPECTRAL}: Gaussian noise with a 1/f^α power spectrum (α in 1.6..2.6; natural
 * photographs sit near 2), one luminance field and two weaker chroma fields mixed into colour
 * along random directions;
 * <li>{@link Source#CELLS}: Voronoi cells (stones, tiles, foliage seen from afar) coloured from a
 * small palette, darkened towards their borders, with grain;
 * <li>{@link Source#TURBULENCE}: marble veins or wood rings bent by fractal value noise;
 * <li>{@link Source#PHOTO}: a random crop of a photograph (random position, scale and flip),
 * resampled to the image size.
 * </ul>
 * All arithmetic is plain Java on {@link StrictMath}, so the same {@link Random} state gives the same
 * pixels on every machine. Pixels are 0xRRGGBB ints, row-major.
 */
final class HardBackground {
    enum Source { SPECTRAL, CELLS, TURBULENCE, PHOTO }

    private static final Source[] PROCEDURAL = {Source.SPECTRAL, Source.CELLS, Source.TURBULENCE};

    /** The photographs, decoded once and shrunk so their shorter side is at most this. */
    static final int PHOTO_SIDE = 640;

    private HardBackground() {}

    /** A background of {@code width × height}: a photo with probability 1/2 when there are photos. */
    static int[] draw(int width, int height, Random random, Photos photos, Source[] chosen) {
        Source source = !photos.isEmpty() && random.nextBoolean() ? Source.PHOTO
                : PROCEDURAL[random.nextInt(PROCEDURAL.length)];
        chosen[0] = source;
        return switch (source) {
            case SPECTRAL -> spectral(width, height, random);
            case CELLS -> cells(width, height, random);
            case TURBULENCE -> turbulence(width, height, random);
            case PHOTO -> photos.crop(width, height, random);
        };
    }

    // ---- 1/f^α noise ----------------------------------------------------------------------

    static int[] spectral(int width, int height, Random random) {
        int n = Integer.highestOneBit(Math.max(width, height) - 1) << 1;
        double alpha = 1.6 + random.nextDouble();
        // Two complex fields give four real Gaussian fields with the same spectrum.
        double[][] a = noiseField(n, alpha, random);
        double[][] b = noiseField(n, alpha, random);
        double[] lum = normalised(a[0], n, width, height);
        double[] c1 = normalised(a[1], n, width, height);
        double[] c2 = normalised(b[0], n, width, height);
        double[] base = hsv(random.nextDouble(), 0.05 + 0.55 * random.nextDouble(), 0.3 + 0.5 * random.nextDouble());
        double lumStd = 0.12 + 0.14 * random.nextDouble();
        double[] d1 = unitChroma(random), d2 = unitChroma(random);
        double s1 = 0.03 + 0.09 * random.nextDouble(), s2 = 0.02 + 0.06 * random.nextDouble();
        int[] out = new int[width * height];
        for (int i = 0; i < out.length; i++) {
            double[] c = new double[3];
            for (int k = 0; k < 3; k++) {
                c[k] = base[k] + lumStd * lum[i] + s1 * c1[i] * d1[k] + s2 * c2[i] * d2[k];
            }
            out[i] = pack(c);
        }
        return out;
    }

    /** A random direction in colour space orthogonal to grey (1,1,1). */
    private static double[] unitChroma(Random random) {
        double t = random.nextDouble() * 2 * Math.PI;
        // An orthonormal basis of the plane orthogonal to (1,1,1).
        double[] e1 = {1 / Math.sqrt(2), -1 / Math.sqrt(2), 0};
        double[] e2 = {1 / Math.sqrt(6), 1 / Math.sqrt(6), -2 / Math.sqrt(6)};
        double c = StrictMath.cos(t), s = StrictMath.sin(t);
        return new double[] {c * e1[0] + s * e2[0], c * e1[1] + s * e2[1], c * e1[2] + s * e2[2]};
    }

    /** Real and imaginary parts of the inverse FFT of random spectral amplitudes ∝ f^(−α/2). */
    private static double[][] noiseField(int n, double alpha, Random random) {
        double[] re = new double[n * n], im = new double[n * n];
        for (int y = 0; y < n; y++) {
            int fy = y <= n / 2 ? y : y - n;
            for (int x = 0; x < n; x++) {
                int fx = x <= n / 2 ? x : x - n;
                double f = Math.sqrt(fx * fx + fy * fy);
                double amp = f == 0 ? 0 : StrictMath.pow(f, -alpha / 2);
                re[y * n + x] = amp * random.nextGaussian();
                im[y * n + x] = amp * random.nextGaussian();
            }
        }
        Fft.inverse2d(re, im, n);
        return new double[][] {re, im};
    }

    /** The top-left width × height crop of an n × n field, at zero mean and unit variance. */
    private static double[] normalised(double[] field, int n, int width, int height) {
        double[] out = new double[width * height];
        double sum = 0, sum2 = 0;
        for (int y = 0; y < height; y++) {
            for (int x = 0; x < width; x++) {
                double v = field[y * n + x];
                out[y * width + x] = v;
                sum += v;
                sum2 += v * v;
            }
        }
        double mean = sum / out.length;
        double std = Math.sqrt(Math.max(1e-12, sum2 / out.length - mean * mean));
        for (int i = 0; i < out.length; i++) {
            out[i] = (out[i] - mean) / std;
        }
        return out;
    }

    // ---- Voronoi cells --------------------------------------------------------------------

    static int[] cells(int width, int height, Random random) {
        int seeds = 15 + random.nextInt(150);
        double[] sx = new double[seeds], sy = new double[seeds];
        double[][] colour = new double[seeds][];
        double hue = random.nextDouble();
        double hueSpread = 0.04 + 0.3 * random.nextDouble();
        double sat = 0.1 + 0.6 * random.nextDouble();
        double val = 0.3 + 0.5 * random.nextDouble();
        for (int i = 0; i < seeds; i++) {
            sx[i] = random.nextDouble() * width;
            sy[i] = random.nextDouble() * height;
            colour[i] = hsv(hue + hueSpread * (random.nextDouble() - 0.5), clamp01(sat + 0.2 * (random.nextDouble() - 0.5)),
                    clamp01(val + 0.35 * (random.nextDouble() - 0.5)));
        }
        double edge = 0.15 + 0.5 * random.nextDouble();
        double grain = 0.02 + 0.06 * random.nextDouble();
        int salt = random.nextInt();
        int[] out = new int[width * height];
        for (int y = 0; y < height; y++) {
            for (int x = 0; x < width; x++) {
                double d1 = Double.MAX_VALUE, d2 = Double.MAX_VALUE;
                int best = 0;
                for (int i = 0; i < seeds; i++) {
                    double dx = x + 0.5 - sx[i], dy = y + 0.5 - sy[i];
                    double d = dx * dx + dy * dy;
                    if (d < d1) {
                        d2 = d1;
                        d1 = d;
                        best = i;
                    } else if (d < d2) {
                        d2 = d;
                    }
                }
                // Distance to the cell border, in pixels: (d2 − d1) / (2 · |s2 − s1|) ≈ (√d2 − √d1) / 2.
                double border = (Math.sqrt(d2) - Math.sqrt(d1)) / 2;
                double shade = 1 - edge * StrictMath.exp(-border / 2.5);
                double g = grain * (SyntheticShape.hash01(x, y, salt) - 0.5) * 2;
                double[] c = colour[best];
                out[y * width + x] = pack(new double[] {c[0] * shade + g, c[1] * shade + g, c[2] * shade + g});
            }
        }
        return out;
    }

    // ---- marble / wood turbulence ---------------------------------------------------------

    static int[] turbulence(int width, int height, Random random) {
        boolean wood = random.nextBoolean();
        double[][] palette = new double[3][];
        double hue = random.nextDouble();
        for (int i = 0; i < 3; i++) {
            palette[i] = hsv(hue + 0.12 * (random.nextDouble() - 0.5), 0.05 + 0.6 * random.nextDouble(),
                    0.2 + 0.7 * random.nextDouble());
        }
        double scale = 20 + 60 * random.nextDouble(); // pixels per noise cell at the coarsest octave
        double turb = 1 + 5 * random.nextDouble();
        double angle = random.nextDouble() * Math.PI;
        double freq = 2 * Math.PI / (15 + 50 * random.nextDouble());
        double cx = width * random.nextDouble(), cy = height * random.nextDouble();
        double rings = 2 * Math.PI / (6 + 20 * random.nextDouble());
        int salt = random.nextInt();
        double ca = StrictMath.cos(angle), sa = StrictMath.sin(angle);
        int[] out = new int[width * height];
        for (int y = 0; y < height; y++) {
            for (int x = 0; x < width; x++) {
                double n = fbm(x / scale, y / scale, salt, 5);
                double t;
                if (wood) {
                    double r = StrictMath.hypot(x - cx, (y - cy) * 0.35);
                    t = 0.5 + 0.5 * StrictMath.sin(r * rings + turb * 2 * n);
                } else {
                    t = 0.5 + 0.5 * StrictMath.sin((x * ca + y * sa) * freq + turb * 3 * n);
                    t = Math.sqrt(t);
                }
                double[] c = t < 0.5 ? lerp(palette[0], palette[1], t * 2) : lerp(palette[1], palette[2], t * 2 - 1);
                double g = 0.08 * (fbm(x / 4.0, y / 4.0, salt ^ 0x5bd1e995, 2) - 0.5);
                out[y * width + x] = pack(new double[] {c[0] + g, c[1] + g, c[2] + g});
            }
        }
        return out;
    }

    /** Fractal value noise in about [0, 1]: octaves of smoothly interpolated lattice noise. */
    static double fbm(double x, double y, int salt, int octaves) {
        double sum = 0, amp = 0.5, norm = 0;
        for (int o = 0; o < octaves; o++) {
            sum += amp * valueNoise(x, y, salt + o * 1013);
            norm += amp;
            x *= 2;
            y *= 2;
            amp *= 0.5;
        }
        return sum / norm;
    }

    private static double valueNoise(double x, double y, int salt) {
        int x0 = (int) Math.floor(x), y0 = (int) Math.floor(y);
        double fx = x - x0, fy = y - y0;
        double sx = fx * fx * (3 - 2 * fx), sy = fy * fy * (3 - 2 * fy);
        double a = SyntheticShape.hash01(x0, y0, salt), b = SyntheticShape.hash01(x0 + 1, y0, salt);
        double c = SyntheticShape.hash01(x0, y0 + 1, salt), d = SyntheticShape.hash01(x0 + 1, y0 + 1, salt);
        return (a + (b - a) * sx) * (1 - sy) + (c + (d - c) * sx) * sy;
    }

    // ---- photographs ----------------------------------------------------------------------

    /** The photographs of a folder (JPEG and PNG files, in name order), decoded and shrunk once. */
    static final class Photos {
        static final Photos NONE = new Photos(List.of(), List.of());

        private final List<RgbImage> images;
        private final List<String> names;

        private Photos(List<RgbImage> images, List<String> names) {
            this.images = images;
            this.names = names;
        }

        static Photos load(Path dir) {
            if (dir == null) {
                return NONE;
            }
            if (!Files.isDirectory(dir)) {
                throw new DatasetException(dir, "backgrounds directory does not exist");
            }
            List<Path> files;
            try (Stream<Path> list = Files.list(dir)) {
                files = list.filter(Files::isRegularFile).filter(p -> {
                    String n = p.getFileName().toString().toLowerCase(Locale.ROOT);
                    return n.endsWith(".jpg") || n.endsWith(".jpeg") || n.endsWith(".png");
                }).sorted().toList();
            } catch (IOException e) {
                throw new DatasetException(dir, "cannot list (" + e.getMessage() + ")", e);
            }
            if (files.isEmpty()) {
                throw new DatasetException(dir, "no JPEG or PNG files to use as backgrounds");
            }
            List<RgbImage> images = new ArrayList<>();
            List<String> names = new ArrayList<>();
            for (Path f : files) {
                images.add(shrink(ImageFiles.readRgb(f), PHOTO_SIDE));
                names.add(f.getFileName().toString());
            }
            return new Photos(List.copyOf(images), List.copyOf(names));
        }

        boolean isEmpty() {
            return images.isEmpty();
        }

        List<String> names() {
            return names;
        }

        /** A random crop with the target's aspect, 35–100 % of the largest one, maybe mirrored. */
        int[] crop(int width, int height, Random random) {
            RgbImage photo = images.get(random.nextInt(images.size()));
            double fit = Math.min(photo.width() / (double) width, photo.height() / (double) height);
            double s = fit * (0.35 + 0.65 * random.nextDouble());
            double cw = width * s, ch = height * s;
            double x0 = random.nextDouble() * (photo.width() - cw), y0 = random.nextDouble() * (photo.height() - ch);
            boolean flip = random.nextBoolean();
            int[] out = new int[width * height];
            for (int y = 0; y < height; y++) {
                for (int x = 0; x < width; x++) {
                    // 2×2 bilinear samples per output pixel: a light box filter against aliasing.
                    double[] c = new double[3];
                    for (int sy = 0; sy < 2; sy++) {
                        for (int sxi = 0; sxi < 2; sxi++) {
                            double px = (x + 0.25 + 0.5 * sxi) * s, py = (y + 0.25 + 0.5 * sy) * s;
                            double fx = x0 + (flip ? cw - px : px), fy = y0 + py;
                            bilinear(photo, fx - 0.5, fy - 0.5, c);
                        }
                    }
                    out[y * width + x] = pack(new double[] {c[0] / 4 / 255, c[1] / 4 / 255, c[2] / 4 / 255});
                }
            }
            return out;
        }

        private static void bilinear(RgbImage img, double x, double y, double[] acc) {
            int w = img.width(), h = img.height();
            int xa = (int) Math.floor(x), ya = (int) Math.floor(y);
            double fx = x - xa, fy = y - ya;
            int x1 = Math.clamp(xa, 0, w - 1), x2 = Math.clamp(xa + 1, 0, w - 1);
            int y1 = Math.clamp(ya, 0, h - 1), y2 = Math.clamp(ya + 1, 0, h - 1);
            for (int c = 0; c < 3; c++) {
                double top = img.get(y1, x1, c) * (1 - fx) + img.get(y1, x2, c) * fx;
                double bottom = img.get(y2, x1, c) * (1 - fx) + img.get(y2, x2, c) * fx;
                acc[c] += top * (1 - fy) + bottom * fy;
            }
        }

        /** Box-filter downscale (integer factor) until the shorter side is at most {@code side}. */
        static RgbImage shrink(RgbImage img, int side) {
            int f = (Math.min(img.width(), img.height()) + side - 1) / side;
            if (f <= 1) {
                return img;
            }
            int w = img.width() / f, h = img.height() / f;
            byte[] out = new byte[w * h * 3];
            for (int y = 0; y < h; y++) {
                for (int x = 0; x < w; x++) {
                    for (int c = 0; c < 3; c++) {
                        int sum = 0;
                        for (int dy = 0; dy < f; dy++) {
                            for (int dx = 0; dx < f; dx++) {
                                sum += img.get(y * f + dy, x * f + dx, c);
                            }
                        }
                        out[(y * w + x) * 3 + c] = (byte) ((sum + f * f / 2) / (f * f));
                    }
                }
            }
            return new RgbImage(w, h, out);
        }
    }

    // ---- colour helpers -------------------------------------------------------------------

    /** RGB in [0, 1] of a hue (any real, taken mod 1), saturation and value. */
    static double[] hsv(double h, double s, double v) {
        h = h - Math.floor(h);
        double x = h * 6;
        int i = (int) Math.floor(x) % 6;
        double f = x - Math.floor(x);
        double p = v * (1 - s), q = v * (1 - s * f), t = v * (1 - s * (1 - f));
        return switch (i) {
            case 0 -> new double[] {v, t, p};
            case 1 -> new double[] {q, v, p};
            case 2 -> new double[] {p, v, t};
            case 3 -> new double[] {p, q, v};
            case 4 -> new double[] {t, p, v};
            default -> new double[] {v, p, q};
        };
    }

    static double[] lerp(double[] a, double[] b, double t) {
        return new double[] {a[0] + (b[0] - a[0]) * t, a[1] + (b[1] - a[1]) * t, a[2] + (b[2] - a[2]) * t};
    }

    static double clamp01(double v) {
        return Math.clamp(v, 0.0, 1.0);
    }

    /** 0xRRGGBB of RGB in [0, 1], clamped. */
    static int pack(double[] c) {
        int r = (int) Math.round(clamp01(c[0]) * 255), g = (int) Math.round(clamp01(c[1]) * 255);
        int b = (int) Math.round(clamp01(c[2]) * 255);
        return r << 16 | g << 8 | b;
    }

    /** An in-place radix-2 FFT (sizes a power of two). */
    static final class Fft {
        private Fft() {}

        /** The unnormalised inverse 2-D transform of an n × n complex array, in place. */
        static void inverse2d(double[] re, double[] im, int n) {
            double[] r = new double[n], i = new double[n];
            for (int y = 0; y < n; y++) {
                System.arraycopy(re, y * n, r, 0, n);
                System.arraycopy(im, y * n, i, 0, n);
                inverse(r, i);
                System.arraycopy(r, 0, re, y * n, n);
                System.arraycopy(i, 0, im, y * n, n);
            }
            for (int x = 0; x < n; x++) {
                for (int y = 0; y < n; y++) {
                    r[y] = re[y * n + x];
                    i[y] = im[y * n + x];
                }
                inverse(r, i);
                for (int y = 0; y < n; y++) {
                    re[y * n + x] = r[y];
                    im[y * n + x] = i[y];
                }
            }
        }

        /** The unnormalised inverse 1-D transform (e^{+2πi kn/N}), in place. */
        static void inverse(double[] re, double[] im) {
            int n = re.length;
            for (int i = 1, j = 0; i < n; i++) {
                int bit = n >> 1;
                for (; (j & bit) != 0; bit >>= 1) {
                    j ^= bit;
                }
                j ^= bit;
                if (i < j) {
                    double t = re[i];
                    re[i] = re[j];
                    re[j] = t;
                    t = im[i];
                    im[i] = im[j];
                    im[j] = t;
                }
            }
            for (int len = 2; len <= n; len <<= 1) {
                double ang = 2 * Math.PI / len;
                for (int k = 0; k < len / 2; k++) {
                    double wr = StrictMath.cos(ang * k), wi = StrictMath.sin(ang * k);
                    for (int s = 0; s < n; s += len) {
                        int a = s + k, b = s + k + len / 2;
                        double xr = re[b] * wr - im[b] * wi, xi = re[b] * wi + im[b] * wr;
                        re[b] = re[a] - xr;
                        im[b] = im[a] - xi;
                        re[a] += xr;
                        im[a] += xi;
                    }
                }
            }
        }
    }
}
