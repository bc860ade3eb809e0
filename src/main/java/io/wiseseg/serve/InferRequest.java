package io.wiseseg.serve;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import java.io.IOException;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * An Open Inference Protocol (V2) inference request body, read with Jackson's streaming parser:
 * a UINT8 tensor's data is kept as an int array (4 bytes a value) instead of a tree of JSON nodes
 * (tens of bytes a value), so the memory a request can take stays a small multiple of its body.
 *
 * <p>With the binary tensor data extension ({@link V2Binary}) the JSON is the body's first bytes
 * and an input whose {@code parameters} give {@code binary_data_size} takes its values from the
 * bytes after it, as a view of the body (no copy).
 *
 * @param id               the request's {@code id}, echoed in the response (null when absent)
 * @param inputs           the input tensors
 * @param outputs          the requested outputs (empty: all of them)
 * @param binaryDataOutput the request's {@code parameters.binary_data_output}: outputs in binary
 *                         unless an output says otherwise
 */
record InferRequest(String id, List<Tensor> inputs, List<Output> outputs, boolean binaryDataOutput) {
    private static final JsonFactory JSON = new JsonFactory();

    /**
     * One input tensor: numbers land in {@code numbers} (the first {@code count}), strings in
     * {@code strings}; nested data arrays are flattened in row-major order, as the protocol allows.
     * A binary input has no data but a {@code binaryDataSize} ({@code -1} for JSON inputs) and,
     * once {@link V2Binary#split} has run, its {@code binary} bytes.
     */
    record Tensor(String name, String datatype, long[] shape, int[] numbers, int count, List<String> strings,
                  long binaryDataSize, ByteBuffer binary) {
        Tensor withBinary(ByteBuffer bytes) {
            return new Tensor(name, datatype, shape, numbers, count, strings, binaryDataSize, bytes);
        }
    }

    /** One requested output; {@code binaryData} is its {@code parameters.binary_data} (null when absent). */
    record Output(String name, Boolean binaryData) {}

    /** The names of the requested outputs, in order. */
    List<String> outputNames() {
        return outputs.stream().map(Output::name).toList();
    }

    /** Whether output {@code name} goes back as binary data: its own flag, else the request's. */
    boolean binaryOutput(String name) {
        for (Output o : outputs) {
            if (o.name().equals(name) && o.binaryData() != null) {
                return o.binaryData();
            }
        }
        return binaryDataOutput;
    }

    /** Parses a body that is all JSON; every problem is a 400 naming the field. */
    static InferRequest parse(byte[] body) {
        InferRequest r = parseJson(body, body.length, false);
        for (Tensor t : r.inputs()) {
            expect(t.binaryDataSize() < 0, "input '" + t.name() + "' has parameters.binary_data_size but the request "
                    + "has no " + V2Binary.HEADER + " header to say where its JSON ends");
        }
        return r;
    }

    /**
     * Parses a body of the binary tensor data extension: {@code jsonLength} bytes of JSON, then the
     * binary inputs' bytes, each input given its own.
     */
    static InferRequest parse(byte[] body, int jsonLength) {
        InferRequest r = parseJson(body, jsonLength, true);
        return new InferRequest(r.id(), V2Binary.split(r.inputs(), body, jsonLength), r.outputs(), r.binaryDataOutput());
    }

    private static InferRequest parseJson(byte[] body, int length, boolean header) {
        try (JsonParser p = JSON.createParser(body, 0, length)) {
            expect(p.nextToken() == JsonToken.START_OBJECT, "the body must be a JSON object");
            String id = null;
            List<Tensor> inputs = null;
            List<Output> outputs = new ArrayList<>();
            boolean binaryDataOutput = false;
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String field = p.currentName();
                JsonToken t = p.nextToken();
                switch (field) {
                    case "id" -> {
                        expect(t == JsonToken.VALUE_STRING, "\"id\" must be a string");
                        id = p.getText();
                    }
                    case "inputs" -> {
                        expect(t == JsonToken.START_ARRAY, "\"inputs\" must be an array of tensors");
                        inputs = new ArrayList<>();
                        while (p.nextToken() != JsonToken.END_ARRAY) {
                            inputs.add(tensor(p));
                        }
                    }
                    case "outputs" -> {
                        expect(t == JsonToken.START_ARRAY, "\"outputs\" must be an array of {\"name\": ...}");
                        while (p.nextToken() != JsonToken.END_ARRAY) {
                            outputs.add(output(p));
                        }
                    }
                    case "parameters" -> {
                        expect(t == JsonToken.START_OBJECT, "the request's \"parameters\" must be an object");
                        while (p.nextToken() == JsonToken.FIELD_NAME) {
                            String parameter = p.currentName();
                            JsonToken v = p.nextToken();
                            if (parameter.equals("binary_data_output")) {
                                expect(v.isBoolean(), "the request's parameters.binary_data_output must be true or false");
                                binaryDataOutput = v == JsonToken.VALUE_TRUE;
                            } else {
                                p.skipChildren(); // the protocol's others (priority, timeout, ...) change nothing here
                            }
                        }
                    }
                    default -> p.skipChildren(); // extensions we do not use
                }
            }
            expect(p.currentToken() == JsonToken.END_OBJECT, "the body must be one JSON object");
            expect(p.nextToken() == null, "unexpected data after the JSON object");
            expect(inputs != null, "the request has no \"inputs\"");
            return new InferRequest(id, inputs, outputs, binaryDataOutput);
        } catch (JsonProcessingException e) {
            // a wrong header length cuts the JSON short or runs into the binary data: say which bytes were read
            throw new RequestException(400, "malformed JSON: " + e.getOriginalMessage().lines().findFirst().orElse("")
                    + " at line " + e.getLocation().getLineNr() + ", column " + e.getLocation().getColumnNr()
                    + (header ? " (of the JSON header, the body's first " + length + " bytes by " + V2Binary.HEADER + ")" : ""));
        } catch (IOException e) {
            throw new RequestException(400, "cannot read the body: " + e.getMessage());
        }
    }

    private static Tensor tensor(JsonParser p) throws IOException {
        expect(p.currentToken() == JsonToken.START_OBJECT, "each of \"inputs\" must be a tensor object");
        String name = null, datatype = null;
        long[] shape = null;
        int[] numbers = new int[16];
        int count = 0;
        List<String> strings = new ArrayList<>();
        boolean hasData = false;
        String binarySize = null; // parameters.binary_data_size as written, checked once the name is known
        while (p.nextToken() == JsonToken.FIELD_NAME) {
            String field = p.currentName();
            JsonToken t = p.nextToken();
            switch (field) {
                case "name" -> {
                    expect(t == JsonToken.VALUE_STRING, "an input's \"name\" must be a string");
                    name = p.getText();
                }
                case "datatype" -> {
                    expect(t == JsonToken.VALUE_STRING, "an input's \"datatype\" must be a string");
                    datatype = p.getText();
                }
                case "shape" -> {
                    expect(t == JsonToken.START_ARRAY, "an input's \"shape\" must be an array of integers");
                    List<Long> dims = new ArrayList<>();
                    while (p.nextToken() != JsonToken.END_ARRAY) {
                        expect(p.currentToken() == JsonToken.VALUE_NUMBER_INT && p.getLongValue() >= 0,
                                "an input's \"shape\" must hold integers >= 0");
                        dims.add(p.getLongValue());
                    }
                    shape = dims.stream().mapToLong(Long::longValue).toArray();
                }
                case "data" -> {
                    expect(t == JsonToken.START_ARRAY, "an input's \"data\" must be an array");
                    hasData = true;
                    int depth = 1;
                    while (depth > 0) {
                        JsonToken v = p.nextToken();
                        if (v == JsonToken.START_ARRAY) {
                            depth++;
                        } else if (v == JsonToken.END_ARRAY) {
                            depth--;
                        } else if (v == JsonToken.VALUE_NUMBER_INT) {
                            expect(strings.isEmpty(), "an input's \"data\" mixes numbers and strings");
                            long value = p.getLongValue();
                            expect(value >= Integer.MIN_VALUE && value <= Integer.MAX_VALUE, "a value in \"data\" is "
                                    + "out of range: " + value);
                            if (count == numbers.length) {
                                numbers = Arrays.copyOf(numbers, count * 2);
                            }
                            numbers[count++] = (int) value;
                        } else if (v == JsonToken.VALUE_STRING) {
                            expect(count == 0, "an input's \"data\" mixes numbers and strings");
                            strings.add(p.getText());
                        } else {
                            throw new RequestException(400, "an input's \"data\" holds " + describe(v)
                                    + "; expected integers (UINT8) or strings (BYTES)");
                        }
                    }
                }
                case "parameters" -> {
                    expect(t == JsonToken.START_OBJECT, "an input's \"parameters\" must be an object");
                    while (p.nextToken() == JsonToken.FIELD_NAME) {
                        String parameter = p.currentName();
                        JsonToken v = p.nextToken();
                        if (parameter.equals("binary_data_size")) {
                            expect(v == JsonToken.VALUE_NUMBER_INT, "an input's parameters.binary_data_size must be an "
                                    + "integer (a byte count)");
                            binarySize = p.getText();
                        } else {
                            p.skipChildren();
                        }
                    }
                }
                default -> p.skipChildren();
            }
        }
        expect(name != null, "an input has no \"name\"");
        expect(datatype != null, "input '" + name + "' has no \"datatype\"");
        expect(shape != null, "input '" + name + "' has no \"shape\"");
        expect(!(hasData && binarySize != null), "input '" + name + "' has both \"data\" and "
                + "parameters.binary_data_size; send its values one way");
        expect(hasData || binarySize != null, "input '" + name + "' has no \"data\" (nor parameters.binary_data_size)");
        long size = -1;
        if (binarySize != null) {
            BigInteger b = new BigInteger(binarySize);
            expect(b.signum() >= 0, "input '" + name + "' has parameters.binary_data_size " + binarySize
                    + "; a byte count must be >= 0");
            expect(b.bitLength() < 64, "input '" + name + "' has parameters.binary_data_size " + binarySize
                    + "; a byte count must fit in an int64");
            size = b.longValue();
        }
        return new Tensor(name, datatype, shape, numbers, count, strings, size, null);
    }

    private static Output output(JsonParser p) throws IOException {
        expect(p.currentToken() == JsonToken.START_OBJECT, "each of \"outputs\" must be an object with a \"name\"");
        String name = null;
        Boolean binary = null;
        while (p.nextToken() == JsonToken.FIELD_NAME) {
            String field = p.currentName();
            JsonToken t = p.nextToken();
            if (field.equals("name") && t == JsonToken.VALUE_STRING) {
                name = p.getText();
            } else if (field.equals("parameters") && t == JsonToken.START_OBJECT) {
                while (p.nextToken() == JsonToken.FIELD_NAME) {
                    String parameter = p.currentName();
                    JsonToken v = p.nextToken();
                    if (parameter.equals("binary_data")) {
                        expect(v.isBoolean(), "an output's parameters.binary_data must be true or false");
                        binary = v == JsonToken.VALUE_TRUE;
                    } else {
                        p.skipChildren(); // e.g. a client's "classification": not a thing this model does
                    }
                }
            } else {
                p.skipChildren();
            }
        }
        expect(name != null, "an entry of \"outputs\" has no \"name\"");
        return new Output(name, binary);
    }

    private static String describe(JsonToken t) {
        return switch (t) {
            case VALUE_NUMBER_FLOAT -> "a floating-point number";
            case VALUE_TRUE, VALUE_FALSE -> "a boolean";
            case VALUE_NULL -> "null";
            case START_OBJECT -> "an object";
            default -> String.valueOf(t);
        };
    }

    private static void expect(boolean ok, String reason) {
        if (!ok) {
            throw new RequestException(400, reason);
        }
    }
}
