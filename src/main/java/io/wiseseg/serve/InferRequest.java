package io.wiseseg.serve;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * An Open Inference Protocol (V2) inference request body, read with Jackson's streaming parser:
 * a UINT8 tensor's data is kept as an int array (4 bytes a value) instead of a tree of JSON nodes
 * (tens of bytes a value), so the memory a request can take stays a small multiple of its body.
 *
 * @param id      the request's {@code id}, echoed in the response (null when absent)
 * @param inputs  the input tensors
 * @param outputs the names of the requested outputs (empty: all of them)
 */
record InferRequest(String id, List<Tensor> inputs, List<String> outputs) {
    private static final JsonFactory JSON = new JsonFactory();

    /**
     * One input tensor: numbers land in {@code numbers} (the first {@code count}), strings in
     * {@code strings}; nested data arrays are flattened in row-major order, as the protocol allows.
     */
    record Tensor(String name, String datatype, long[] shape, int[] numbers, int count, List<String> strings) {}

    /** Parses a body; every problem is a 400 naming the field. */
    static InferRequest parse(byte[] body) {
        try (JsonParser p = JSON.createParser(body)) {
            expect(p.nextToken() == JsonToken.START_OBJECT, "the body must be a JSON object");
            String id = null;
            List<Tensor> inputs = null;
            List<String> outputs = new ArrayList<>();
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
                            outputs.add(outputName(p));
                        }
                    }
                    default -> p.skipChildren(); // "parameters" and extensions we do not use
                }
            }
            expect(p.currentToken() == JsonToken.END_OBJECT, "the body must be one JSON object");
            expect(p.nextToken() == null, "unexpected data after the JSON object");
            expect(inputs != null, "the request has no \"inputs\"");
            return new InferRequest(id, inputs, outputs);
        } catch (JsonProcessingException e) {
            throw new RequestException(400, "malformed JSON: " + e.getOriginalMessage().lines().findFirst().orElse("")
                    + " at line " + e.getLocation().getLineNr() + ", column " + e.getLocation().getColumnNr());
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
                default -> p.skipChildren();
            }
        }
        expect(name != null, "an input has no \"name\"");
        expect(datatype != null, "input '" + name + "' has no \"datatype\"");
        expect(shape != null, "input '" + name + "' has no \"shape\"");
        expect(hasData, "input '" + name + "' has no \"data\"");
        return new Tensor(name, datatype, shape, numbers, count, strings);
    }

    private static String outputName(JsonParser p) throws IOException {
        expect(p.currentToken() == JsonToken.START_OBJECT, "each of \"outputs\" must be an object with a \"name\"");
        String name = null;
        while (p.nextToken() == JsonToken.FIELD_NAME) {
            String field = p.currentName();
            JsonToken t = p.nextToken();
            if (field.equals("name") && t == JsonToken.VALUE_STRING) {
                name = p.getText();
            } else {
                p.skipChildren();
            }
        }
        expect(name != null, "an entry of \"outputs\" has no \"name\"");
        return name;
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
