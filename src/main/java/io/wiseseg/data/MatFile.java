package io.wiseseg.data;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.DataFormatException;
import java.util.zip.Inflater;

/**
 * A minimal reader of MATLAB level 5 MAT-files, for exactly what SBD's {@code cls/*.mat} and
 * {@code inst/*.mat} hold: structs, cells and numeric arrays, possibly zlib-compressed.
 * Sparse, char and object arrays are recognised and skipped (SBD's boundaries are sparse and we
 * do not need them). Numeric data is widened to double, column-major as MATLAB stores it.
 */
public final class MatFile {
    private static final int MI_INT8 = 1, MI_UINT8 = 2, MI_INT16 = 3, MI_UINT16 = 4, MI_INT32 = 5,
            MI_UINT32 = 6, MI_SINGLE = 7, MI_DOUBLE = 9, MI_INT64 = 12, MI_UINT64 = 13,
            MI_MATRIX = 14, MI_COMPRESSED = 15;
    private static final int MX_CELL = 1, MX_STRUCT = 2, MX_DOUBLE = 6, MX_UINT64 = 15;

    /** A value in the file. */
    public sealed interface Value permits NumericArray, Struct, Cell, Skipped {}

    /** A real numeric (or logical) array; {@code data} is column-major. */
    public record NumericArray(int[] dims, double[] data) implements Value {
        public int rows() {
            return dims[0];
        }

        public int cols() {
            return dims.length > 1 ? dims[1] : 1;
        }

        /** Element (row, col) of a 2-D array. */
        public double get(int row, int col) {
            return data[col * dims[0] + row];
        }
    }

    /** A struct array: one map of field values per element. */
    public record Struct(int[] dims, List<String> fieldNames, List<Map<String, Value>> elements)
            implements Value {
        /** Field {@code name} of the first element (SBD's structs are 1×1). */
        public Value field(String name) {
            return elements.isEmpty() ? null : elements.getFirst().get(name);
        }
    }

    public record Cell(int[] dims, List<Value> cells) implements Value {}

    /** An array of a kind we do not decode (sparse, char, object, function handle). */
    public record Skipped(int matClass, int[] dims) implements Value {}

    private final Path file;

    private MatFile(Path file) {
        this.file = file;
    }

    /** The named top-level variables of a MAT-file, in file order. */
    public static Map<String, Value> read(Path file) {
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            throw new DatasetException(file, "file not found");
        } catch (IOException e) {
            throw new DatasetException(file, "cannot read (" + e.getMessage() + ")", e);
        }
        return new MatFile(file).parse(bytes);
    }

    private Map<String, Value> parse(byte[] bytes) {
        if (bytes.length < 128 || !new String(bytes, 0, 6, java.nio.charset.StandardCharsets.US_ASCII).equals("MATLAB")) {
            throw fail("not a MATLAB 5 MAT-file (no 128-byte 'MATLAB' header)");
        }
        // The endian indicator is the characters 'M','I' written as one 16-bit integer.
        ByteOrder order = bytes[126] == 'I' && bytes[127] == 'M' ? ByteOrder.LITTLE_ENDIAN
                : bytes[126] == 'M' && bytes[127] == 'I' ? ByteOrder.BIG_ENDIAN : null;
        if (order == null) {
            throw fail("bad endian indicator in the MAT-file header (v7.3 HDF5 files are not supported)");
        }
        ByteBuffer buf = ByteBuffer.wrap(bytes).order(order);
        buf.position(128);
        Map<String, Value> vars = new LinkedHashMap<>();
        try {
            while (buf.remaining() >= 8) {
                Element e = element(buf);
                if (e.type == MI_COMPRESSED) {
                    ByteBuffer inner = ByteBuffer.wrap(inflate(e.data)).order(order);
                    while (inner.remaining() >= 8) {
                        Element m = element(inner);
                        addVariable(vars, m);
                    }
                } else {
                    addVariable(vars, e);
                }
            }
        } catch (java.nio.BufferUnderflowException | IndexOutOfBoundsException | IllegalArgumentException e) {
            if (e instanceof DatasetException d) {
                throw d;
            }
            throw fail("truncated or corrupt MAT-file data", e);
        }
        return vars;
    }

    private void addVariable(Map<String, Value> vars, Element e) {
        if (e.type != MI_MATRIX) {
            return; // MAT-files may hold other top-level elements; variables are matrices
        }
        String[] name = new String[1];
        Value v = matrix(e.data, name);
        vars.put(name[0], v);
    }

    /** Parses one miMATRIX element's contents; {@code nameOut[0]} receives its array name. */
    private Value matrix(ByteBuffer d, String[] nameOut) {
        if (!d.hasRemaining()) {
            nameOut[0] = "";
            return new NumericArray(new int[] {0, 0}, new double[0]);
        }
        Element flags = element(d);
        int flagWord = flags.data.getInt(0);
        int matClass = flagWord & 0xFF;
        boolean complex = (flagWord & 0x800) != 0;
        Element dimsEl = element(d);
        int[] dims = new int[dimsEl.data.remaining() / 4];
        for (int i = 0; i < dims.length; i++) {
            dims[i] = dimsEl.data.getInt(i * 4);
        }
        nameOut[0] = ascii(element(d).data);
        int count = 1;
        for (int dim : dims) {
            count = Math.multiplyExact(count, dim);
        }
        if (matClass == MX_CELL) {
            List<Value> cells = new ArrayList<>(count);
            for (int i = 0; i < count; i++) {
                cells.add(matrix(expectMatrix(element(d)), new String[1]));
            }
            return new Cell(dims, Collections.unmodifiableList(cells));
        }
        if (matClass == MX_STRUCT) {
            int nameLength = element(d).data.getInt(0);
            ByteBuffer names = element(d).data;
            int fieldCount = nameLength == 0 ? 0 : names.remaining() / nameLength;
            List<String> fields = new ArrayList<>(fieldCount);
            for (int f = 0; f < fieldCount; f++) {
                fields.add(ascii(names.slice(f * nameLength, nameLength)));
            }
            List<Map<String, Value>> elements = new ArrayList<>(count);
            for (int i = 0; i < count; i++) {
                Map<String, Value> values = new LinkedHashMap<>();
                for (String field : fields) {
                    values.put(field, matrix(expectMatrix(element(d)), new String[1]));
                }
                elements.add(Collections.unmodifiableMap(values));
            }
            return new Struct(dims, List.copyOf(fields), Collections.unmodifiableList(elements));
        }
        if (matClass >= MX_DOUBLE && matClass <= MX_UINT64 && !complex) {
            double[] data = numbers(element(d));
            if (data.length != count) {
                throw fail("array of " + java.util.Arrays.toString(dims) + " holds " + data.length + " values");
            }
            return new NumericArray(dims, data);
        }
        return new Skipped(matClass, dims);
    }

    private ByteBuffer expectMatrix(Element e) {
        if (e.type != MI_MATRIX) {
            throw fail("expected a matrix element inside a cell or struct, got data type " + e.type);
        }
        return e.data;
    }

    private double[] numbers(Element e) {
        ByteBuffer b = e.data;
        int size = switch (e.type) {
            case MI_INT8, MI_UINT8 -> 1;
            case MI_INT16, MI_UINT16 -> 2;
            case MI_INT32, MI_UINT32, MI_SINGLE -> 4;
            case MI_DOUBLE, MI_INT64, MI_UINT64 -> 8;
            default -> throw fail("unsupported numeric data type " + e.type);
        };
        double[] out = new double[b.remaining() / size];
        for (int i = 0; i < out.length; i++) {
            int at = i * size;
            out[i] = switch (e.type) {
                case MI_INT8 -> b.get(at);
                case MI_UINT8 -> b.get(at) & 0xFF;
                case MI_INT16 -> b.getShort(at);
                case MI_UINT16 -> b.getShort(at) & 0xFFFF;
                case MI_INT32 -> b.getInt(at);
                case MI_UINT32 -> b.getInt(at) & 0xFFFFFFFFL;
                case MI_SINGLE -> b.getFloat(at);
                case MI_DOUBLE -> b.getDouble(at);
                case MI_INT64 -> b.getLong(at);
                default -> unsigned(b.getLong(at));
            };
        }
        return out;
    }

    private static double unsigned(long v) {
        return v >= 0 ? v : (double) (v >>> 1) * 2.0 + (v & 1);
    }

    /**
     * The next data element: an 8-byte tag (type, byte count) or the 4-byte "small element" form
     * with the data packed in the tag's second word; data is padded to 8 bytes except inside a
     * compressed element's own stream end.
     */
    private Element element(ByteBuffer b) {
        int first = b.getInt();
        int type, size;
        ByteBuffer data;
        if ((first >>> 16) != 0) {
            type = first & 0xFFFF;
            size = first >>> 16;
            if (size > 4) {
                throw fail("bad small data element of " + size + " bytes");
            }
            data = b.slice(b.position(), size).order(b.order());
            b.position(b.position() + 4);
        } else {
            type = first;
            size = b.getInt();
            if (size < 0 || size > b.remaining()) {
                throw fail("data element of " + Integer.toUnsignedString(size) + " bytes overruns the file");
            }
            data = b.slice(b.position(), size).order(b.order());
            int padded = type == MI_COMPRESSED ? size : (size + 7) & ~7;
            b.position(Math.min(b.limit(), b.position() + padded));
        }
        return new Element(type, data);
    }

    private byte[] inflate(ByteBuffer compressed) {
        Inflater inflater = new Inflater();
        try {
            inflater.setInput(compressed);
            java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream(compressed.remaining() * 4);
            byte[] chunk = new byte[64 * 1024];
            while (!inflater.finished()) {
                int n = inflater.inflate(chunk);
                if (n == 0 && (inflater.needsInput() || inflater.needsDictionary())) {
                    throw fail("truncated compressed (miCOMPRESSED) element");
                }
                out.write(chunk, 0, n);
            }
            return out.toByteArray();
        } catch (DataFormatException e) {
            throw fail("corrupt compressed (miCOMPRESSED) element (" + e.getMessage() + ")", e);
        } finally {
            inflater.end();
        }
    }

    private static String ascii(ByteBuffer b) {
        StringBuilder s = new StringBuilder();
        for (int i = 0; i < b.remaining(); i++) {
            byte c = b.get(b.position() + i);
            if (c == 0) {
                break;
            }
            s.append((char) c);
        }
        return s.toString();
    }

    private DatasetException fail(String problem) {
        return new DatasetException(file, problem);
    }

    private DatasetException fail(String problem, Throwable cause) {
        return new DatasetException(file, problem, cause);
    }

    private record Element(int type, ByteBuffer data) {}
}
