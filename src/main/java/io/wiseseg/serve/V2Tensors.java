package io.wiseseg.serve;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.wiseseg.data.Box;
import io.wiseseg.data.ImageFiles;
import io.wiseseg.data.RgbImage;
import io.wiseseg.data.Rle;
import io.wiseseg.pipeline.Segment;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.function.Predicate;

/**
 * The Open Inference Protocol's tensors of our model: the input image in, the segments out; each
 * as JSON or as binary data ({@link V2Binary}).
 */
final class V2Tensors {
    private V2Tensors() {}

    /**
     * The image of a request's one input {@code image}: BYTES holding one JPEG or PNG (shape [1];
     * base64 in JSON, or one length-prefixed element in binary), or UINT8 RGB pixels of shape
     * [H, W, 3] (or [1, H, W, 3]; a number each in JSON, a byte each in binary).
     */
    static RgbImage image(InferRequest request, long maxPixels) {
        List<InferRequest.Tensor> inputs = request.inputs();
        if (inputs.size() != 1 || !inputs.get(0).name().equals("image")) {
            throw new RequestException(400, "expected one input named 'image', got "
                    + inputs.stream().map(t -> "'" + t.name() + "'").toList());
        }
        InferRequest.Tensor t = inputs.get(0);
        String shape = Arrays.toString(t.shape());
        return switch (t.datatype()) {
            case "BYTES" -> {
                // all ones, as a product of 1 needs: a product could overflow (a 500 for shape [2^32, 2^32])
                boolean one = t.shape().length >= 1 && Arrays.stream(t.shape()).allMatch(d -> d == 1);
                byte[] encoded;
                if (t.binary() != null) {
                    List<ByteBuffer> elements = one ? V2Binary.elements("image", t.binary()) : List.of();
                    if (elements.size() != 1) {
                        throw new RequestException(400, "input 'image' of datatype BYTES must hold one encoded image "
                                + "(shape [1], one element in its binary data), got shape " + shape
                                + (one ? " and " + elements.size() + " elements" : "") + "; send one image per request");
                    }
                    encoded = new byte[elements.get(0).remaining()];
                    elements.get(0).get(0, encoded); // the decoder takes an array: the one copy of the file
                } else {
                    if (!one || t.strings().size() != 1 || t.count() != 0) {
                        throw new RequestException(400, "input 'image' of datatype BYTES must hold one encoded image "
                                + "(shape [1], one base64 string in data), got shape " + shape + " and "
                                + (t.strings().size() + t.count()) + " values; send one image per request");
                    }
                    try {
                        encoded = Base64.getDecoder().decode(t.strings().get(0));
                    } catch (IllegalArgumentException e) {
                        throw new RequestException(400, "input 'image': its BYTES value is not base64 (" + e.getMessage() + ")");
                    }
                }
                try {
                    yield ImageFiles.decodeRgb(encoded, maxPixels, true);
                } catch (IllegalArgumentException e) {
                    throw new RequestException(400, "input 'image': " + InferenceServer.firstLine(e.getMessage()));
                }
            }
            case "UINT8" -> pixels(t, shape, maxPixels);
            default -> throw new RequestException(400, "input 'image' has datatype " + t.datatype()
                    + "; expected BYTES (an encoded JPEG or PNG) or UINT8 (RGB pixels, shape [H, W, 3])");
        };
    }

    private static RgbImage pixels(InferRequest.Tensor t, String shape, long maxPixels) {
        long[] s = t.shape();
        boolean ok = (s.length == 3 && s[2] == 3) || (s.length == 4 && s[0] == 1 && s[3] == 3);
        if (!ok) {
            throw new RequestException(400, "input 'image' of datatype UINT8 must have shape [H, W, 3] or "
                    + "[1, H, W, 3], got " + shape);
        }
        long h = s[s.length - 3], w = s[s.length - 2];
        if (h < 1 || w < 1) {
            throw new RequestException(400, "input 'image' has no pixels: shape " + shape);
        }
        if (h > maxPixels / w) { // h * w > maxPixels, without the product overflowing for huge shapes
            throw new RequestException(400, "input 'image' of " + w + "x" + h + " pixels is over the limit of "
                    + maxPixels + " pixels");
        }
        if (t.binary() != null) {
            if (t.binary().remaining() != h * w * 3) {
                throw new RequestException(400, "input 'image' of shape " + shape + " and datatype UINT8 needs "
                        + (h * w * 3) + " bytes of binary data (H x W x 3), got binary_data_size " + t.binary().remaining());
            }
            byte[] rgb = new byte[(int) (h * w * 3)];
            t.binary().get(0, rgb);
            return new RgbImage((int) w, (int) h, rgb);
        }
        if (!t.strings().isEmpty() || t.count() != h * w * 3) {
            throw new RequestException(400, "input 'image' of shape " + shape + " needs " + (h * w * 3)
                    + " integer values, got " + (t.count() + t.strings().size()));
        }
        byte[] rgb = new byte[(int) (h * w * 3)];
        int[] v = t.numbers();
        for (int i = 0; i < rgb.length; i++) {
            if (v[i] < 0 || v[i] > 255) {
                throw new RequestException(400, "input 'image' of datatype UINT8 holds " + v[i] + " at index " + i
                        + "; values must be 0..255");
            }
            rgb[i] = (byte) v[i];
        }
        return new RgbImage((int) w, (int) h, rgb);
    }

    /**
     * The requested output tensors of one image's segments, each with its shape and its flat data:
     * in JSON, or, for those {@code binary} picks, as a {@code binary_data_size} here and bytes in
     * the list returned (in output order; empty when none is binary).
     */
    static List<byte[]> outputs(ArrayNode outs, List<String> wanted, Predicate<String> binary, List<Segment> segments,
                                int height, int width) {
        int n = segments.size();
        List<byte[]> sections = new ArrayList<>();
        for (String name : wanted) {
            ObjectNode o = outs.addObject().put("name", name);
            ArrayNode shape = o.putArray("shape").add(n);
            boolean bin = binary.test(name);
            byte[] section = switch (name) {
                case "boxes" -> {
                    o.put("datatype", "FP32");
                    shape.add(4);
                    float[] v = new float[4 * n];
                    for (int i = 0; i < n; i++) {
                        Box b = segments.get(i).box();
                        v[4 * i] = b.x1();
                        v[4 * i + 1] = b.y1();
                        v[4 * i + 2] = b.x2();
                        v[4 * i + 3] = b.y2();
                    }
                    yield data(o, bin, v);
                }
                case "labels" -> {
                    o.put("datatype", "INT32");
                    yield data(o, bin, segments.stream().mapToInt(Segment::classId).toArray());
                }
                case "label_names" -> {
                    o.put("datatype", "BYTES");
                    yield data(o, bin, segments.stream().map(Segment::className).toList());
                }
                case "scores" -> {
                    o.put("datatype", "FP32");
                    float[] v = new float[n];
                    for (int i = 0; i < n; i++) {
                        v[i] = segments.get(i).score();
                    }
                    yield data(o, bin, v);
                }
                case "masks" -> {
                    o.put("datatype", "BYTES");
                    o.putObject("parameters").put("format", "coco_rle").put("height", height).put("width", width);
                    yield data(o, bin, segments.stream().map(s -> Rle.encode(s.mask()).toCompressedString()).toList());
                }
                default -> throw new IllegalArgumentException("unknown output " + name);
            };
            if (section != null) {
                sections.add(section);
            }
        }
        return sections;
    }

    private static byte[] data(ObjectNode o, boolean binary, float[] v) {
        if (binary) {
            return binarySize(o, V2Binary.fp32(v));
        }
        ArrayNode data = o.putArray("data");
        for (float x : v) {
            data.add(x);
        }
        return null;
    }

    private static byte[] data(ObjectNode o, boolean binary, int[] v) {
        if (binary) {
            return binarySize(o, V2Binary.int32(v));
        }
        ArrayNode data = o.putArray("data");
        for (int x : v) {
            data.add(x);
        }
        return null;
    }

    private static byte[] data(ObjectNode o, boolean binary, List<String> v) {
        if (binary) {
            return binarySize(o, V2Binary.bytes(v));
        }
        ArrayNode data = o.putArray("data");
        v.forEach(data::add);
        return null;
    }

    /** The bytes, their size noted in the output's parameters (beside any it has) in place of data. */
    private static byte[] binarySize(ObjectNode o, byte[] bytes) {
        ObjectNode parameters = o.has("parameters") ? (ObjectNode) o.get("parameters") : o.putObject("parameters");
        parameters.put("binary_data_size", bytes.length);
        return bytes;
    }
}
