package io.wiseseg.util;

import java.io.IOException;
import java.io.InputStream;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import net.razorvine.pickle.IObjectConstructor;
import net.razorvine.pickle.PickleException;
import net.razorvine.pickle.Unpickler;
import org.bytedeco.pytorch.LongOptional;
import org.bytedeco.pytorch.MemoryFormatOptional;
import org.bytedeco.pytorch.Module;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.StringTensorDict;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptions;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.ScalarType;

/**
 * Reads {@code .pth} files written by {@code torch.save(model.state_dict())} (the zip format:
 * {@code <name>/data.pkl} plus one raw little-endian storage per {@code <name>/data/<key>}) and
 * loads them into a module by parameter name (torchvision's ImageNet ResNets, Mask R-CNN weights).
 *
 * <p>Why our own reader: LibTorch's {@code pickle_load} rejects the {@code OrderedDict} that
 * {@code state_dict()} returns. The pickle is decoded with razorvine's Unpickler: OrderedDict and
 * {@code _rebuild_tensor_v2} get constructors, storages come through the persistent-load hook.
 */
public final class TorchvisionWeights {
    static {
        Unpickler.registerConstructor("collections", "OrderedDict", args -> new PickledDict());
        Unpickler.registerConstructor("torch._utils", "_rebuild_tensor_v2", TorchvisionWeights::rebuildTensor);
        Unpickler.registerConstructor("torch._utils", "_rebuild_parameter", args -> args[0]);
        for (Map.Entry<String, ScalarType> e : Map.of("FloatStorage", ScalarType.Float, "DoubleStorage",
                ScalarType.Double, "HalfStorage", ScalarType.Half, "BFloat16Storage", ScalarType.BFloat16,
                "LongStorage", ScalarType.Long, "IntStorage", ScalarType.Int, "ShortStorage", ScalarType.Short,
                "CharStorage", ScalarType.Char, "ByteStorage", ScalarType.Byte, "BoolStorage", ScalarType.Bool).entrySet()) {
            Unpickler.registerConstructor("torch", e.getKey(), new StorageType(e.getValue()));
        }
    }

    private TorchvisionWeights() {}

    /** The OrderedDict stand-in; public with a public {@code __setstate__} because BUILD calls it by reflection. */
    public static final class PickledDict extends LinkedHashMap<Object, Object> {
        public void __setstate__(HashMap<?, ?> state) {
            // state_dict's _metadata (per-module versions): not needed to load weights.
        }
    }

    /** A storage class such as {@code torch.FloatStorage}: it arrives as a global and names the dtype. */
    private record StorageType(ScalarType dtype) implements IObjectConstructor {
        @Override
        public Object construct(Object[] args) {
            throw new PickleException("storage types are not constructed in a state dict");
        }
    }

    /** A storage read from the zip: a flat tensor of its dtype. */
    private record Storage(Tensor flat) {}

    /**
     * A tensor with the sequence number of its construction. Why: razorvine's SETITEMS goes
     * through a HashMap, which loses the file's key order; tensors are rebuilt in that order.
     */
    private record Rebuilt(long sequence, Tensor tensor) {}

    private static final java.util.concurrent.atomic.AtomicLong SEQUENCE = new java.util.concurrent.atomic.AtomicLong();

    /** Reads every tensor of a state-dict file, in the file's order, as CPU tensors. */
    public static Map<String, Tensor> read(Path file) {
        if (!Files.isRegularFile(file)) {
            throw new IllegalArgumentException("weights file not found: " + file);
        }
        try (ZipFile zip = new ZipFile(file.toFile())) {
            String prefix = archivePrefix(zip, file);
            Unpickler unpickler = new Unpickler() {
                @Override
                protected Object persistentLoad(Object pid) {
                    return loadStorage(zip, prefix, file, (Object[]) pid);
                }
            };
            Object root;
            try (InputStream in = zip.getInputStream(zip.getEntry(prefix + "data.pkl"))) {
                root = unpickler.load(in);
            }
            if (!(root instanceof Map<?, ?> dict)) {
                throw new IllegalArgumentException(file + ": not a state dict (the pickle holds a "
                        + (root == null ? "None" : root.getClass().getSimpleName()) + ")");
            }
            List<Map.Entry<?, ?>> entries = new ArrayList<>(dict.entrySet());
            for (Map.Entry<?, ?> e : entries) {
                if (!(e.getValue() instanceof Rebuilt)) {
                    throw new IllegalArgumentException(file + ": entry '" + e.getKey() + "' is not a tensor");
                }
            }
            entries.sort(java.util.Comparator.comparingLong(e -> ((Rebuilt) e.getValue()).sequence()));
            Map<String, Tensor> out = new LinkedHashMap<>();
            for (Map.Entry<?, ?> e : entries) {
                out.put(String.valueOf(e.getKey()), ((Rebuilt) e.getValue()).tensor());
            }
            return out;
        } catch (java.util.zip.ZipException e) {
            throw new IllegalArgumentException(file + ": not a torch.save zip file (" + e.getMessage()
                    + "); legacy (pre-1.6) .pth files are not supported, re-save with a recent torch");
        } catch (IOException | PickleException e) {
            throw new IllegalArgumentException(file + ": cannot read the state dict (" + e.getMessage() + ")", e);
        }
    }

    /**
     * Copies {@code weights} into {@code module}'s parameters and buffers by name. Keys starting
     * with one of {@code ignoredPrefixes} (e.g. "fc." of an ImageNet classifier) are skipped;
     * any other key the module lacks, any parameter the file lacks, and any shape difference is
     * an error naming the key.
     */
    public static void load(Module module, Map<String, Tensor> weights, Set<String> ignoredPrefixes, String source) {
        Map<String, Tensor> targets = new LinkedHashMap<>();
        collect(module.named_parameters(true), targets);
        collect(module.named_buffers(true), targets);
        List<String> unexpected = new ArrayList<>();
        for (String key : weights.keySet()) {
            if (!targets.containsKey(key) && ignoredPrefixes.stream().noneMatch(key::startsWith)) {
                unexpected.add(key);
            }
        }
        List<String> missing = new ArrayList<>();
        for (String key : targets.keySet()) {
            if (!weights.containsKey(key)) {
                missing.add(key);
            }
        }
        if (!missing.isEmpty() || !unexpected.isEmpty()) {
            throw new IllegalArgumentException(source + ": weights do not match the model: "
                    + (missing.isEmpty() ? "" : "missing " + summary(missing))
                    + (!missing.isEmpty() && !unexpected.isEmpty() ? "; " : "")
                    + (unexpected.isEmpty() ? "" : "unexpected " + summary(unexpected)));
        }
        for (Map.Entry<String, Tensor> e : targets.entrySet()) {
            Tensor src = weights.get(e.getKey());
            Tensor dst = e.getValue();
            if (!java.util.Arrays.equals(shape(src), shape(dst))) {
                throw new IllegalArgumentException(source + ": " + e.getKey() + " has shape "
                        + shapeString(src) + " in the file but " + shapeString(dst) + " in the model");
            }
        }
        try (NoGradGuard g = new NoGradGuard()) {
            for (Map.Entry<String, Tensor> e : targets.entrySet()) {
                e.getValue().copy_(weights.get(e.getKey()));
            }
        }
    }

    /** A module's parameters and buffers by their state-dict names (the module's own tensors, not copies). */
    public static Map<String, Tensor> stateDict(Module module) {
        Map<String, Tensor> out = new LinkedHashMap<>();
        collect(module.named_parameters(true), out);
        collect(module.named_buffers(true), out);
        return out;
    }

    /** Reads {@code file} and loads it into {@code module} (see {@link #load(Module, Map, Set, String)}). */
    public static void load(Module module, Path file, Set<String> ignoredPrefixes) {
        load(module, read(file), ignoredPrefixes, file.toString());
    }

    private static void collect(StringTensorDict dict, Map<String, Tensor> into) {
        // a handle of our own (new Tensor shares the TensorImpl): value() points into the dict's
        // item, which the GC may free before the caller copies the tensor (a JVM crash in copy_)
        for (long i = 0; i < dict.size(); i++) {
            into.put(dict.get(i).key().getString(), new Tensor(dict.get(i).value()));
        }
        java.lang.ref.Reference.reachabilityFence(dict);
    }

    private static long[] shape(Tensor t) {
        long[] s = new long[(int) t.dim()];
        for (int i = 0; i < s.length; i++) {
            s[i] = t.size(i);
        }
        return s;
    }

    private static String shapeString(Tensor t) {
        return java.util.Arrays.toString(shape(t));
    }

    private static String summary(List<String> keys) {
        List<String> shown = keys.subList(0, Math.min(5, keys.size()));
        return keys.size() + " key" + (keys.size() == 1 ? "" : "s") + " " + String.join(", ", shown)
                + (keys.size() > shown.size() ? ", ..." : "");
    }

    private static String archivePrefix(ZipFile zip, Path file) {
        for (ZipEntry e : Collections.list(zip.entries())) {
            if (e.getName().endsWith("/data.pkl")) {
                return e.getName().substring(0, e.getName().length() - "data.pkl".length());
            }
        }
        throw new IllegalArgumentException(file + ": no data.pkl inside; not a torch.save file");
    }

    private static Storage loadStorage(ZipFile zip, String prefix, Path file, Object[] pid) {
        // ('storage', storage_type, key, location, numel)
        if (pid.length < 5 || !"storage".equals(pid[0]) || !(pid[1] instanceof StorageType type)) {
            throw new IllegalArgumentException(file + ": unsupported persistent id " + java.util.Arrays.toString(pid));
        }
        String key = String.valueOf(pid[2]);
        long numel = ((Number) pid[4]).longValue();
        ZipEntry entry = zip.getEntry(prefix + "data/" + key);
        if (entry == null) {
            throw new IllegalArgumentException(file + ": storage data/" + key + " is missing");
        }
        try (InputStream in = zip.getInputStream(entry)) {
            byte[] bytes = in.readAllBytes();
            Tensor flat = torch.empty(new long[] {numel}, new TensorOptions(type.dtype()), new MemoryFormatOptional());
            if (bytes.length != flat.nbytes()) {
                throw new IllegalArgumentException(file + ": storage data/" + key + " has " + bytes.length
                        + " bytes, expected " + flat.nbytes());
            }
            if (bytes.length > 0) {
                // torch.save writes little-endian storages; so is every platform we run on.
                MemorySegment.copy(bytes, 0, MemorySegment.ofAddress(flat.data_ptr().address()).reinterpret(bytes.length),
                        ValueLayout.JAVA_BYTE, 0, bytes.length);
            }
            return new Storage(flat);
        } catch (IOException e) {
            throw new IllegalArgumentException(file + ": cannot read storage data/" + key + " (" + e.getMessage() + ")", e);
        }
    }

    private static Object rebuildTensor(Object[] args) {
        // _rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad, backward_hooks[, metadata])
        Storage storage = (Storage) args[0];
        long offset = ((Number) args[1]).longValue();
        long[] size = longs(args[2]);
        long[] stride = longs(args[3]);
        Tensor t = storage.flat().as_strided(size, stride, new LongOptional(offset)).contiguous();
        return new Rebuilt(SEQUENCE.getAndIncrement(), t);
    }

    private static long[] longs(Object tuple) {
        Object[] items = (Object[]) tuple;
        long[] out = new long[items.length];
        for (int i = 0; i < items.length; i++) {
            out[i] = ((Number) items[i]).longValue();
        }
        return out;
    }
}
