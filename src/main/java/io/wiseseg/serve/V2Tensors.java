package io.wiseseg.serve;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.wiseseg.data.Box;
import io.wiseseg.data.ImageFiles;
import io.wiseseg.data.RgbImage;
import io.wiseseg.data.Rle;
import io.wiseseg.pipeline.Segment;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;

/** The Open Inference Protocol's tensors of our model: the input image in, the segments out. */
final class V2Tensors {
    private V2Tensors() {}

    /**
     * The image of a request's one input {@code image}: BYTES holding one base64 JPEG or PNG
     * (shape [1]), or UINT8 RGB pixels of shape [H, W, 3] (or [1, H, W, 3]).
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
                if (t.shape().length < 1 || !Arrays.stream(t.shape()).allMatch(d -> d == 1)
                        || t.strings().size() != 1 || t.count() != 0) {
                    throw new RequestException(400, "input 'image' of datatype BYTES must hold one encoded image "
                            + "(shape [1], one base64 string in data), got shape " + shape + " and "
                            + (t.strings().size() + t.count()) + " values; send one image per request");
                }
                byte[] encoded;
                try {
                    encoded = Base64.getDecoder().decode(t.strings().get(0));
                } catch (IllegalArgumentException e) {
                    throw new RequestException(400, "input 'image': its BYTES value is not base64 (" + e.getMessage() + ")");
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

    /** The requested output tensors of one image's segments, each with its shape, flat data. */
    static void outputs(ArrayNode outs, List<String> wanted, List<Segment> segments, int height, int width) {
        int n = segments.size();
        for (String name : wanted) {
            ObjectNode o = outs.addObject().put("name", name);
            ArrayNode shape = o.putArray("shape").add(n);
            ArrayNode data;
            switch (name) {
                case "boxes" -> {
                    o.put("datatype", "FP32");
                    shape.add(4);
                    data = o.putArray("data");
                    for (Segment s : segments) {
                        Box b = s.box();
                        data.add(b.x1()).add(b.y1()).add(b.x2()).add(b.y2());
                    }
                }
                case "labels" -> {
                    o.put("datatype", "INT32");
                    data = o.putArray("data");
                    segments.forEach(s -> data.add(s.classId()));
                }
                case "label_names" -> {
                    o.put("datatype", "BYTES");
                    data = o.putArray("data");
                    segments.forEach(s -> data.add(s.className()));
                }
                case "scores" -> {
                    o.put("datatype", "FP32");
                    data = o.putArray("data");
                    segments.forEach(s -> data.add(s.score()));
                }
                case "masks" -> {
                    o.put("datatype", "BYTES");
                    o.putObject("parameters").put("format", "coco_rle").put("height", height).put("width", width);
                    data = o.putArray("data");
                    segments.forEach(s -> data.add(Rle.encode(s.mask()).toCompressedString()));
                }
                default -> throw new IllegalArgumentException("unknown output " + name);
            }
        }
    }
}
