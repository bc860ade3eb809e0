package io.wiseseg.serve;

import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * The Open Inference Protocol's binary tensor data extension, as Triton and KServe define it: a
 * body is a JSON header (as many bytes as the {@value #HEADER} header says), then the binary
 * tensors' bytes back to back, in the order of the tensors in the JSON, each as long as its
 * {@code parameters.binary_data_size}. Values are little-endian without padding; a BYTES element
 * is a 4-byte little-endian length, then its bytes. Raw pixels go as one byte each instead of a
 * JSON number and its comma.
 */
final class V2Binary {
    /** The header that gives the JSON header's length in bytes. */
    static final String HEADER = "Inference-Header-Content-Length";
    /**
     * SageMaker's form, which allows no custom headers: the length in the Content-Type's
     * {@value #SAGEMAKER_LENGTH} parameter; Triton answers in the same form.
     */
    static final String SAGEMAKER_TYPE = "application/vnd.sagemaker-triton.binary+json";
    static final String SAGEMAKER_LENGTH = "json-header-size";

    private V2Binary() {}

    /**
     * The JSON header's length, as a request declares it.
     *
     * @param declared   the declared value, as sent
     * @param where      where it was declared, for the error (the header, or the Content-Type)
     * @param bodyLength the whole body's length
     * @throws RequestException 400 when it is not a byte count within the body
     */
    static int jsonLength(String declared, String where, int bodyLength) {
        String v = declared.strip();
        if (!v.matches("-?[0-9]+")) {
            throw new RequestException(400, where + " must be the JSON header's length in bytes, got '" + declared + "'");
        }
        BigInteger n = new BigInteger(v);
        if (n.signum() < 0) {
            throw new RequestException(400, where + " is " + v + "; the JSON header's length cannot be negative");
        }
        if (n.compareTo(BigInteger.valueOf(bodyLength)) > 0) {
            throw new RequestException(400, where + " is " + v + " but the body has only " + bodyLength + " bytes");
        }
        return n.intValue();
    }

    /**
     * The inputs, each with a {@code binary_data_size} given that many bytes of the body after the
     * JSON, in input order, as views of the body; the sizes must account for every byte there.
     */
    static List<InferRequest.Tensor> split(List<InferRequest.Tensor> inputs, byte[] body, int jsonLength) {
        int rest = body.length - jsonLength;
        long sum = 0;
        boolean overflow = false; // two sizes near 2^63 wrap around: they could not add up to the rest
        for (InferRequest.Tensor t : inputs) {
            if (t.binaryDataSize() >= 0) {
                overflow |= t.binaryDataSize() > Long.MAX_VALUE - sum;
                sum += t.binaryDataSize();
            }
        }
        if (overflow || sum != rest) {
            throw new RequestException(400, "the inputs' parameters.binary_data_size add up to "
                    + (overflow ? "more than " + Long.MAX_VALUE : sum) + " bytes but the body has " + rest
                    + " bytes after its " + jsonLength + "-byte JSON header");
        }
        List<InferRequest.Tensor> out = new ArrayList<>(inputs.size());
        int at = jsonLength;
        for (InferRequest.Tensor t : inputs) {
            if (t.binaryDataSize() < 0) {
                out.add(t);
            } else {
                int size = (int) t.binaryDataSize(); // within the body: the sum is
                out.add(t.withBinary(ByteBuffer.wrap(body, at, size).slice().asReadOnlyBuffer()));
                at += size;
            }
        }
        return out;
    }

    /**
     * A BYTES tensor's elements, from its binary data: each a 4-byte little-endian length, then
     * that many bytes (views of {@code data}).
     *
     * @throws RequestException 400 naming the element whose length runs past the end
     */
    static List<ByteBuffer> elements(String input, ByteBuffer data) {
        ByteBuffer b = data.duplicate().order(ByteOrder.LITTLE_ENDIAN);
        List<ByteBuffer> out = new ArrayList<>();
        while (b.hasRemaining()) {
            if (b.remaining() < 4) {
                throw new RequestException(400, "input '" + input + "': its binary data ends inside the 4-byte length "
                        + "of BYTES element " + out.size() + " (" + b.remaining() + " bytes left)");
            }
            long length = Integer.toUnsignedLong(b.getInt());
            if (length > b.remaining()) {
                throw new RequestException(400, "input '" + input + "': BYTES element " + out.size() + " has length "
                        + length + " but only " + b.remaining() + " bytes of its binary data are left");
            }
            out.add(b.slice(b.position(), (int) length));
            b.position(b.position() + (int) length);
        }
        return out;
    }

    /** FP32 values, little-endian. */
    static byte[] fp32(float[] values) {
        ByteBuffer b = ByteBuffer.allocate(values.length * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
        b.asFloatBuffer().put(values);
        return b.array();
    }

    /** INT32 values, little-endian. */
    static byte[] int32(int[] values) {
        ByteBuffer b = ByteBuffer.allocate(values.length * Integer.BYTES).order(ByteOrder.LITTLE_ENDIAN);
        b.asIntBuffer().put(values);
        return b.array();
    }

    /** BYTES elements: each string's UTF-8 bytes after their 4-byte little-endian length. */
    static byte[] bytes(List<String> values) {
        List<byte[]> encoded = values.stream().map(v -> v.getBytes(StandardCharsets.UTF_8)).toList();
        ByteBuffer b = ByteBuffer.allocate(encoded.stream().mapToInt(e -> 4 + e.length).sum()).order(ByteOrder.LITTLE_ENDIAN);
        for (byte[] e : encoded) {
            b.putInt(e.length).put(e);
        }
        return b.array();
    }

    /** An answer's body: the JSON header, then each binary output's bytes in output order. */
    static byte[] body(byte[] json, List<byte[]> sections) {
        byte[] out = new byte[json.length + sections.stream().mapToInt(s -> s.length).sum()];
        System.arraycopy(json, 0, out, 0, json.length);
        int at = json.length;
        for (byte[] s : sections) {
            System.arraycopy(s, 0, out, at, s.length);
            at += s.length;
        }
        return out;
    }
}
