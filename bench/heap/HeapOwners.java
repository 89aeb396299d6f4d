/*
 * HeapOwners: tells which program structures own the live heap of a JVM, from an HPROF heap dump
 * ("JAVA PROFILE 1.0.2", e.g. written by `jcmd PID GC.heap_dump FILE`).
 *
 * Self-contained (JDK only, Java 22+ for java.lang.foreign). Run:
 *   java -Xmx4g HeapOwners.java DUMP.hprof [--top N] [--owners p1,p2,...] [--header 8|12|16] [--ref 4|8] [--depth N]
 *
 * Model:
 *  - nodes: every INSTANCE_DUMP, OBJ_ARRAY_DUMP, PRIM_ARRAY_DUMP and CLASS_DUMP (class objects) record;
 *  - edges: instance reference fields, object array elements, a class's static reference fields
 *    (plus its class loader / signers / protection domain);
 *  - a virtual super-root points at every GC root of every kind and at every class object;
 *  - dominators by Lengauer-Tarjan (simple version, path compression), retained = sum of shallow
 *    sizes of the dominator subtree;
 *  - shallow size: instances align8(header + sum of field sizes over the class chain, refs = --ref bytes),
 *    arrays align8(header + 4 + length * elemsize), class objects align8(header + static field sizes).
 */

import java.io.IOException;
import java.io.PrintStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;

public class HeapOwners {

    // ---------------------------------------------------------------- options
    int top = 60;
    String[] ownerPrefixes = {"io.eg4j.", "org.apache.kafka.", "org.springframework."};
    int header = 12;
    int refSize = 4;
    int maxDepth = 12;

    // ---------------------------------------------------------------- file access
    static final ValueLayout.OfLong I8 = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);
    static final ValueLayout.OfInt I4 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);
    static final ValueLayout.OfShort I2 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);

    MemorySegment seg;
    long fileSize;
    int idSize;

    long id(long off) { return idSize == 8 ? seg.get(I8, off) : (seg.get(I4, off) & 0xffffffffL); }
    int u1(long off) { return seg.get(ValueLayout.JAVA_BYTE, off) & 0xff; }
    int u2(long off) { return seg.get(I2, off) & 0xffff; }
    long u4(long off) { return seg.get(I4, off) & 0xffffffffL; }
    int s4(long off) { return seg.get(I4, off); }

    // basic types
    static final int T_OBJECT = 2, T_BOOLEAN = 4, T_CHAR = 5, T_FLOAT = 6, T_DOUBLE = 7, T_BYTE = 8, T_SHORT = 9, T_INT = 10, T_LONG = 11;

    /** size of a value of this type in the dump */
    int dumpSize(int type) {
        switch (type) {
            case 1: case T_OBJECT: return idSize;
            case T_BOOLEAN: case T_BYTE: return 1;
            case T_CHAR: case T_SHORT: return 2;
            case T_FLOAT: case T_INT: return 4;
            case T_DOUBLE: case T_LONG: return 8;
            default: throw new IllegalStateException("bad basic type " + type);
        }
    }

    /** size of a value of this type in the (estimated) JVM heap */
    int heapSize(int type) { return (type == T_OBJECT || type == 1) ? refSize : dumpSize(type); }

    static String primName(int type) {
        switch (type) {
            case T_BOOLEAN: return "boolean";
            case T_CHAR: return "char";
            case T_FLOAT: return "float";
            case T_DOUBLE: return "double";
            case T_BYTE: return "byte";
            case T_SHORT: return "short";
            case T_INT: return "int";
            case T_LONG: return "long";
            default: return "type" + type;
        }
    }

    static long align8(long x) { return (x + 7) & ~7L; }

    // ---------------------------------------------------------------- small primitive collections
    static final class LongList {
        long[] a = new long[1024];
        int n;
        void add(long v) { if (n == a.length) a = Arrays.copyOf(a, (int) Math.min(Integer.MAX_VALUE - 16, a.length * 3L / 2 + 16)); a[n++] = v; }
        long[] trim() { return Arrays.copyOf(a, n); }
    }

    static final class IntList {
        int[] a;
        int n;
        IntList(int cap) { a = new int[Math.max(16, cap)]; }
        void add(int v) { if (n == a.length) a = Arrays.copyOf(a, (int) Math.min(Integer.MAX_VALUE - 16, a.length * 3L / 2 + 16)); a[n++] = v; }
    }

    /** open-addressing long -> int map (key 0 is reserved as "empty"; HPROF ids are never 0) */
    static final class LongIntMap {
        long[] keys;
        int[] vals;
        int shift, mask, size;
        LongIntMap(int expected) { alloc(Math.max(16, Integer.highestOneBit(Math.max(8, expected)) << 2)); }
        private void alloc(int cap) {
            keys = new long[cap];
            vals = new int[cap];
            mask = cap - 1;
            shift = 64 - Integer.numberOfTrailingZeros(cap);
        }
        private int slot(long k) { return (int) ((k * 0x9E3779B97F4A7C15L) >>> shift); }
        /** returns previous value or -1 (and does not overwrite an existing key) */
        int putIfAbsent(long k, int v) {
            if ((size + 1) * 2L > keys.length) grow();
            int i = slot(k);
            while (true) {
                long kk = keys[i];
                if (kk == 0) { keys[i] = k; vals[i] = v; size++; return -1; }
                if (kk == k) return vals[i];
                i = (i + 1) & mask;
            }
        }
        int get(long k) {
            if (k == 0) return -1;
            int i = slot(k);
            while (true) {
                long kk = keys[i];
                if (kk == k) return vals[i];
                if (kk == 0) return -1;
                i = (i + 1) & mask;
            }
        }
        private void grow() {
            long[] ok = keys;
            int[] ov = vals;
            alloc(ok.length * 2);
            size = 0;
            for (int i = 0; i < ok.length; i++) if (ok[i] != 0) putIfAbsent(ok[i], ov[i]);
        }
    }

    // ---------------------------------------------------------------- strings and classes
    LongIntMap strIndex = new LongIntMap(1 << 16);
    LongList strOffs = new LongList();   // offset of the utf8 bytes
    IntList strLens = new IntList(1 << 16);

    String str(long sid) {
        int i = strIndex.get(sid);
        if (i < 0) return "?str" + Long.toHexString(sid);
        byte[] b = new byte[strLens.a[i]];
        MemorySegment.copy(seg, ValueLayout.JAVA_BYTE, strOffs.a[i], b, 0, b.length);
        return new String(b, StandardCharsets.UTF_8);
    }

    LongIntMap loadClassName = new LongIntMap(1 << 14);   // class object id -> index into loadClassNameIds
    LongList loadClassNameIds = new LongList();

    static final class Cls {
        long id;
        String name;             // java-readable: java.util.HashMap, byte[], java.lang.Object[]
        long superId, loaderId, signersId, pdId;
        int superIdx = -1;
        long[] staticNameIds = new long[0];
        byte[] staticTypes = new byte[0];
        long[] staticRefVals = new long[0];
        long[] fieldNameIds = new long[0];
        byte[] fieldTypes = new byte[0];
        // computed
        boolean flatDone;
        byte[] flatTypes;        // instance field types in dump order (class, then superclasses)
        int[] flatLabels;        // label index for reference fields
        long flatDumpBytes;
        long heapFieldBytes;
        int instShallow;
        int staticShallow;
        int[] staticLabels;
        int loaderLabel, signersLabel, pdLabel;
        boolean owner;
        int objIdx = -1;         // index of the class object in the object table
        Cls(long id, String name) { this.id = id; this.name = name; }
    }

    final List<Cls> classes = new ArrayList<>();
    LongIntMap classById = new LongIntMap(1 << 14);
    final int[] primArrayCls = new int[12];
    int unknownCls = -1;

    final List<String> labelName = new ArrayList<>();   // "Decl.field"
    final List<String> labelShort = new ArrayList<>();  // "field"
    final Map<String, Integer> labelIdx = new HashMap<>();

    int label(String decl, String field) {
        String full = decl + "." + field;
        Integer i = labelIdx.get(full);
        if (i != null) return i;
        int n = labelName.size();
        labelName.add(full);
        labelShort.add(field);
        labelIdx.put(full, n);
        return n;
    }

    static String readableClassName(String raw) {
        String s = raw.replace('/', '.');
        int dims = 0;
        while (dims < s.length() && s.charAt(dims) == '[') dims++;
        if (dims == 0) return s;
        String base = s.substring(dims);
        String el;
        if (base.startsWith("L") && base.endsWith(";")) el = base.substring(1, base.length() - 1);
        else if (base.length() == 1) {
            switch (base.charAt(0)) {
                case 'Z': el = "boolean"; break;
                case 'C': el = "char"; break;
                case 'F': el = "float"; break;
                case 'D': el = "double"; break;
                case 'B': el = "byte"; break;
                case 'S': el = "short"; break;
                case 'I': el = "int"; break;
                case 'J': el = "long"; break;
                default: el = base;
            }
        } else el = base;
        return el + "[]".repeat(dims);
    }

    // ---------------------------------------------------------------- objects
    static final byte K_INSTANCE = 0, K_OBJARRAY = 1, K_PRIMARRAY = 2, K_CLASS = 3;
    LongList objIds = new LongList();
    LongList objOffs = new LongList();
    int nObj;
    LongIntMap objIndex;
    int[] clsOf;
    int[] shallow;      // by node (node = obj + 1; node 0 = super-root)
    byte[] kind;
    byte[] rootKind;    // by obj
    LongList rootIds = new LongList();
    IntList rootKinds = new IntList(1024);

    static final String[] ROOT_KIND_NAMES = {"(no root: shared by several roots)", "JNI_GLOBAL", "JNI_LOCAL", "JAVA_FRAME", "NATIVE_STACK", "STICKY_CLASS",
            "THREAD_BLOCK", "MONITOR_USED", "THREAD_OBJECT", "UNKNOWN", "CLASS"};
    static final int RK_CLASS = 10;

    // graph (CSR)
    int nNodes;
    int[] edgeStart;
    int[] edgeTgt;
    int[] edgeLab;      // >=0 label index, -1 root edge / unknown, <= -2: array element index (-2 - i)

    // results
    int[] idom;
    long[] retained;
    int reached;

    long missingRefs, fieldSizeMismatch, unknownClassInstances, duplicateIds, rootsMissing;

    // ---------------------------------------------------------------- pass 1: strings, classes, object offsets, roots
    void pass1() {
        long pos = 0;
        while (pos < fileSize && u1(pos) != 0) pos++;
        String magic = new String(readBytes(0, (int) pos), StandardCharsets.US_ASCII);
        if (!magic.startsWith("JAVA PROFILE")) throw new IllegalStateException("not an HPROF file: " + magic);
        pos++;
        idSize = s4(pos);
        if (idSize != 4 && idSize != 8) throw new IllegalStateException("identifier size " + idSize);
        pos += 4 + 8;
        while (pos + 9 <= fileSize) {
            int tag = u1(pos);
            long len = u4(pos + 5);
            long body = pos + 9;
            if (body + len > fileSize) {
                System.err.println("warning: truncated record at " + pos + " (tag 0x" + Integer.toHexString(tag) + ")");
                len = fileSize - body;
            }
            switch (tag) {
                case 0x01: {
                    long sid = id(body);
                    int i = strOffs.n;
                    strIndex.putIfAbsent(sid, i);
                    strOffs.add(body + idSize);
                    strLens.add((int) (len - idSize));
                    break;
                }
                case 0x02: {
                    long cid = id(body + 4);
                    long nameId = id(body + 8 + idSize);
                    if (loadClassName.putIfAbsent(cid, loadClassNameIds.n) < 0) loadClassNameIds.add(nameId);
                    break;
                }
                case 0x0C: case 0x1C:
                    parseHeap(body, body + len);
                    break;
                default:
                    break;
            }
            pos = body + len;
        }
    }

    byte[] readBytes(long off, int n) {
        byte[] b = new byte[n];
        MemorySegment.copy(seg, ValueLayout.JAVA_BYTE, off, b, 0, n);
        return b;
    }

    void addRoot(long oid, int kind) { rootIds.add(oid); rootKinds.add(kind); }

    void parseHeap(long p, long end) {
        final int ids = idSize;
        while (p < end) {
            long start = p;
            int t = u1(p++);
            switch (t) {
                case 0xFF: addRoot(id(p), 9); p += ids; break;
                case 0x01: addRoot(id(p), 1); p += 2L * ids; break;
                case 0x02: addRoot(id(p), 2); p += ids + 8; break;
                case 0x03: addRoot(id(p), 3); p += ids + 8; break;
                case 0x04: addRoot(id(p), 4); p += ids + 4; break;
                case 0x05: addRoot(id(p), 5); p += ids; break;
                case 0x06: addRoot(id(p), 6); p += ids + 4; break;
                case 0x07: addRoot(id(p), 7); p += ids; break;
                case 0x08: addRoot(id(p), 8); p += ids + 8; break;
                case 0x20: p = parseClassDump(start, p); break;
                case 0x21: {
                    objIds.add(id(p)); objOffs.add(start);
                    long n = u4(p + 2L * ids + 4);
                    p += 2L * ids + 8 + n;
                    break;
                }
                case 0x22: {
                    objIds.add(id(p)); objOffs.add(start);
                    long n = u4(p + ids + 4);
                    p += 2L * ids + 8 + n * ids;
                    break;
                }
                case 0x23: {
                    objIds.add(id(p)); objOffs.add(start);
                    long n = u4(p + ids + 4);
                    int et = u1(p + ids + 8);
                    p += ids + 9 + n * dumpSize(et);
                    break;
                }
                default:
                    throw new IllegalStateException("unknown heap dump sub-record 0x" + Integer.toHexString(t) + " at offset " + start);
            }
        }
    }

    long parseClassDump(long start, long p) {
        final int ids = idSize;
        long cid = id(p); p += ids;
        p += 4;
        long sup = id(p); p += ids;
        long loader = id(p); p += ids;
        long signers = id(p); p += ids;
        long pd = id(p); p += ids;
        p += 2L * ids;   // reserved
        p += 4;          // instance size (in dump bytes)
        int cp = u2(p); p += 2;
        for (int i = 0; i < cp; i++) { p += 2; int ty = u1(p); p += 1 + dumpSize(ty); }
        int ns = u2(p); p += 2;
        long[] sName = new long[ns];
        byte[] sType = new byte[ns];
        long[] sVal = new long[ns];
        for (int i = 0; i < ns; i++) {
            sName[i] = id(p); p += ids;
            int ty = u1(p); p++;
            sType[i] = (byte) ty;
            if (ty == T_OBJECT || ty == 1) sVal[i] = id(p);
            p += dumpSize(ty);
        }
        int nf = u2(p); p += 2;
        long[] fName = new long[nf];
        byte[] fType = new byte[nf];
        for (int i = 0; i < nf; i++) {
            fName[i] = id(p); p += ids;
            fType[i] = (byte) u1(p); p++;
        }
        Cls c = new Cls(cid, null);
        c.superId = sup; c.loaderId = loader; c.signersId = signers; c.pdId = pd;
        c.staticNameIds = sName; c.staticTypes = sType; c.staticRefVals = sVal;
        c.fieldNameIds = fName; c.fieldTypes = fType;
        int ci = classes.size();
        if (classById.putIfAbsent(cid, ci) < 0) {
            classes.add(c);
            c.objIdx = objIds.n;
            objIds.add(cid); objOffs.add(start);
        } else duplicateIds++;
        return p;
    }

    // ---------------------------------------------------------------- class post-processing
    void finishClasses() {
        for (Cls c : classes) {
            int li = loadClassName.get(c.id);
            c.name = li >= 0 ? readableClassName(str(loadClassNameIds.a[li])) : "?class@" + Long.toHexString(c.id);
        }
        for (Cls c : classes) c.superIdx = c.superId == 0 ? -1 : classById.get(c.superId);
        for (Cls c : classes) computeFlat(c, 0);
        for (Cls c : classes) {
            long sb = 0;
            c.staticLabels = new int[c.staticTypes.length];
            for (int i = 0; i < c.staticTypes.length; i++) {
                sb += heapSize(c.staticTypes[i]);
                c.staticLabels[i] = (c.staticTypes[i] == T_OBJECT || c.staticTypes[i] == 1) ? label(c.name, str(c.staticNameIds[i])) : -1;
            }
            c.staticShallow = (int) Math.min(Integer.MAX_VALUE, align8(header + sb));
            c.loaderLabel = label(c.name, "<classloader>");
            c.signersLabel = label(c.name, "<signers>");
            c.pdLabel = label(c.name, "<protectionDomain>");
        }
        for (int t = T_BOOLEAN; t <= T_LONG; t++) {
            Cls c = new Cls(0, primName(t) + "[]");
            c.flatDone = true; c.flatTypes = new byte[0]; c.flatLabels = new int[0];
            primArrayCls[t] = classes.size();
            classes.add(c);
        }
        Cls u = new Cls(0, "?unknown-class");
        u.flatDone = true; u.flatTypes = new byte[0]; u.flatLabels = new int[0];
        unknownCls = classes.size();
        classes.add(u);
        for (Cls c : classes) {
            c.owner = false;
            if (c.name.endsWith("]")) continue;
            for (String pfx : ownerPrefixes) if (!pfx.isEmpty() && c.name.startsWith(pfx)) { c.owner = true; break; }
        }
    }

    void computeFlat(Cls c, int depth) {
        if (c.flatDone) return;
        if (depth > 200) throw new IllegalStateException("superclass cycle at " + c.name);
        Cls sup = c.superIdx >= 0 ? classes.get(c.superIdx) : null;
        if (sup != null) computeFlat(sup, depth + 1);
        int own = c.fieldTypes.length;
        int supN = sup == null ? 0 : sup.flatTypes.length;
        c.flatTypes = new byte[own + supN];
        c.flatLabels = new int[own + supN];
        long dumpBytes = 0, heapBytes = 0;
        for (int i = 0; i < own; i++) {
            int ty = c.fieldTypes[i];
            c.flatTypes[i] = (byte) ty;
            c.flatLabels[i] = (ty == T_OBJECT || ty == 1) ? label(c.name, str(c.fieldNameIds[i])) : -1;
            dumpBytes += dumpSize(ty);
            heapBytes += heapSize(ty);
        }
        if (sup != null) {
            System.arraycopy(sup.flatTypes, 0, c.flatTypes, own, supN);
            System.arraycopy(sup.flatLabels, 0, c.flatLabels, own, supN);
            dumpBytes += sup.flatDumpBytes;
            heapBytes += sup.heapFieldBytes;
        }
        c.flatDumpBytes = dumpBytes;
        c.heapFieldBytes = heapBytes;
        c.instShallow = (int) Math.min(Integer.MAX_VALUE, align8(header + heapBytes));
        c.flatDone = true;
    }

    // ---------------------------------------------------------------- pass 2: sizes and edges
    void buildObjects() {
        nObj = objIds.n;
        long[] ids = objIds.a;
        objIndex = new LongIntMap(nObj);
        for (int i = 0; i < nObj; i++) if (objIndex.putIfAbsent(ids[i], i) >= 0) duplicateIds++;
        objIds = null;
        nNodes = nObj + 1;
        rootKind = new byte[nObj];
        for (int r = 0; r < rootIds.n; r++) {
            int o = objIndex.get(rootIds.a[r]);
            if (o < 0) { rootsMissing++; continue; }
            if (rootKind[o] == 0) rootKind[o] = (byte) rootKinds.a[r];
        }
        for (Cls c : classes) if (c.objIdx >= 0 && rootKind[c.objIdx] == 0) rootKind[c.objIdx] = RK_CLASS;
    }

    void pass2() {
        final int ids = idSize;
        clsOf = new int[nObj];
        shallow = new int[nNodes];
        kind = new byte[nObj];
        edgeStart = new int[nNodes + 1];
        IntList tgt = new IntList(nObj * 3);
        IntList lab = new IntList(nObj * 3);
        // super-root
        for (int o = 0; o < nObj; o++) if (rootKind[o] != 0) { tgt.add(o + 1); lab.add(-1); }
        long[] offs = objOffs.a;
        final int arrHeader = header + 4;
        for (int o = 0; o < nObj; o++) {
            edgeStart[o + 1] = tgt.n;
            long off = offs[o];
            int t = u1(off);
            long p = off + 1;
            switch (t) {
                case 0x21: {
                    p += ids + 4;
                    long cid = id(p); p += ids;
                    long nb = u4(p); p += 4;
                    int ci = classById.get(cid);
                    kind[o] = K_INSTANCE;
                    if (ci < 0) {
                        unknownClassInstances++;
                        clsOf[o] = unknownCls;
                        shallow[o + 1] = (int) Math.min(Integer.MAX_VALUE, align8(header + nb));
                        break;
                    }
                    clsOf[o] = ci;
                    Cls c = classes.get(ci);
                    shallow[o + 1] = c.instShallow;
                    if (c.flatDumpBytes != nb) { fieldSizeMismatch++; break; }
                    byte[] ft = c.flatTypes;
                    int[] fl = c.flatLabels;
                    for (int k = 0; k < ft.length; k++) {
                        int ty = ft[k];
                        if (ty == T_OBJECT || ty == 1) {
                            long v = id(p); p += ids;
                            if (v != 0) {
                                int to = objIndex.get(v);
                                if (to >= 0) { tgt.add(to + 1); lab.add(fl[k]); } else missing(fl[k]);
                            }
                        } else p += dumpSize(ty);
                    }
                    break;
                }
                case 0x22: {
                    p += ids + 4;
                    long n = u4(p); p += 4;
                    long acid = id(p); p += ids;
                    int ci = classById.get(acid);
                    kind[o] = K_OBJARRAY;
                    clsOf[o] = ci >= 0 ? ci : unknownCls;
                    shallow[o + 1] = (int) Math.min(Integer.MAX_VALUE, align8(arrHeader + n * refSize));
                    for (long k = 0; k < n; k++) {
                        long v = id(p); p += ids;
                        if (v != 0) {
                            int to = objIndex.get(v);
                            if (to >= 0) { tgt.add(to + 1); lab.add((int) (-2 - k)); } else missing(-2 - (1 << 30) - clsOf[o]);
                        }
                    }
                    break;
                }
                case 0x23: {
                    p += ids + 4;
                    long n = u4(p); p += 4;
                    int et = u1(p);
                    kind[o] = K_PRIMARRAY;
                    clsOf[o] = (et >= T_BOOLEAN && et <= T_LONG) ? primArrayCls[et] : unknownCls;
                    shallow[o + 1] = (int) Math.min(Integer.MAX_VALUE, align8(arrHeader + n * heapSize(et)));
                    break;
                }
                case 0x20: {
                    long cid = id(p);
                    int ci = classById.get(cid);
                    Cls c = classes.get(ci);
                    kind[o] = K_CLASS;
                    clsOf[o] = ci;
                    shallow[o + 1] = c.staticShallow;
                    for (int k = 0; k < c.staticTypes.length; k++) {
                        long v = c.staticRefVals[k];
                        if (v != 0) {
                            int to = objIndex.get(v);
                            if (to >= 0) { tgt.add(to + 1); lab.add(c.staticLabels[k]); } else missing(c.staticLabels[k]);
                        }
                    }
                    long[] extra = {c.loaderId, c.signersId, c.pdId};
                    int[] extraLab = {c.loaderLabel, c.signersLabel, c.pdLabel};
                    for (int k = 0; k < 3; k++) {
                        if (extra[k] == 0) continue;
                        int to = objIndex.get(extra[k]);
                        if (to >= 0) { tgt.add(to + 1); lab.add(extraLab[k]); }
                    }
                    break;
                }
                default:
                    throw new IllegalStateException("bad object offset " + off);
            }
        }
        edgeStart[nNodes] = tgt.n;
        edgeTgt = tgt.a;
        edgeLab = lab.a;
        objOffs = null;
        objIndex = null;
    }

    final Map<Integer, long[]> missingBy = new HashMap<>();

    void missing(int lab) {
        missingRefs++;
        missingBy.computeIfAbsent(lab, k -> new long[1])[0]++;
    }

    String missingKey(int lab) {
        if (lab >= 0) return labelName.get(lab);
        int ci = -2 - (1 << 30) - lab;
        return (ci >= 0 && ci < classes.size() ? classes.get(ci).name : "?") + " elements";
    }

    // ---------------------------------------------------------------- dominators (Lengauer-Tarjan)
    /** Returns {idom (node space, -1 for root/unreached), vertex (dfs order, length = reached count)}. */
    static int[][] dominators(int n, int[] start, int[] tgt) {
        int m = start[n];
        int[] pstart = new int[n + 1];
        for (int e = 0; e < m; e++) pstart[tgt[e] + 1]++;
        for (int i = 0; i < n; i++) pstart[i + 1] += pstart[i];
        int[] pred = new int[m];
        {
            int[] fill = Arrays.copyOf(pstart, n);
            for (int v = 0; v < n; v++)
                for (int e = start[v], ee = start[v + 1]; e < ee; e++) pred[fill[tgt[e]]++] = v;
        }
        int[] dfnum = new int[n];
        Arrays.fill(dfnum, -1);
        int[] vertex = new int[n];
        int[] parent = new int[n];
        int cnt;
        {
            int[] stk = new int[n];
            int[] spos = new int[n];
            int sp = 0;
            stk[0] = 0; spos[0] = start[0]; dfnum[0] = 0; vertex[0] = 0; parent[0] = -1; cnt = 1;
            while (sp >= 0) {
                int v = stk[sp];
                int p = spos[sp];
                if (p < start[v + 1]) {
                    spos[sp] = p + 1;
                    int w = tgt[p];
                    if (dfnum[w] < 0) {
                        dfnum[w] = cnt; vertex[cnt] = w; parent[cnt] = dfnum[v]; cnt++;
                        sp++; stk[sp] = w; spos[sp] = start[w];
                    }
                } else sp--;
            }
        }
        int[] semi = new int[cnt], label = new int[cnt], anc = new int[cnt], idm = new int[cnt];
        int[] bhead = new int[cnt], bnext = new int[cnt], cstack = new int[cnt];
        for (int i = 0; i < cnt; i++) { semi[i] = i; label[i] = i; anc[i] = -1; bhead[i] = -1; }
        for (int i = cnt - 1; i > 0; i--) {
            int w = vertex[i];
            int s = semi[i];
            for (int e = pstart[w], ee = pstart[w + 1]; e < ee; e++) {
                int dv = dfnum[pred[e]];
                if (dv < 0) continue;
                int u = eval(dv, anc, label, semi, cstack);
                if (semi[u] < s) s = semi[u];
            }
            semi[i] = s;
            bnext[i] = bhead[s]; bhead[s] = i;
            int p = parent[i];
            anc[i] = p;
            for (int v = bhead[p]; v >= 0; v = bnext[v]) {
                int u = eval(v, anc, label, semi, cstack);
                idm[v] = semi[u] < semi[v] ? u : p;
            }
            bhead[p] = -1;
        }
        for (int i = 1; i < cnt; i++) if (idm[i] != semi[i]) idm[i] = idm[idm[i]];
        int[] idomNode = new int[n];
        Arrays.fill(idomNode, -1);
        for (int i = 1; i < cnt; i++) idomNode[vertex[i]] = vertex[idm[i]];
        return new int[][]{idomNode, Arrays.copyOf(vertex, cnt)};
    }

    static int eval(int v, int[] anc, int[] label, int[] semi, int[] cstack) {
        if (anc[v] < 0) return v;
        int sp = 0, x = v;
        while (anc[anc[x]] >= 0) { cstack[sp++] = x; x = anc[x]; }
        while (sp > 0) {
            x = cstack[--sp];
            int a = anc[x];
            if (semi[label[a]] < semi[label[x]]) label[x] = label[a];
            anc[x] = anc[a];
        }
        return label[v];
    }

    void computeDominators() {
        int[][] r = dominators(nNodes, edgeStart, edgeTgt);
        idom = r[0];
        int[] vertex = r[1];
        reached = vertex.length;
        retained = new long[nNodes];
        for (int i = reached - 1; i > 0; i--) {
            int w = vertex[i];
            retained[w] += shallow[w];
            retained[idom[w]] += retained[w];
        }
    }

    // ---------------------------------------------------------------- reporting helpers
    String disp(int node) {
        if (node == 0) return "<super-root>";
        int o = node - 1;
        Cls c = classes.get(clsOf[o]);
        return kind[o] == K_CLASS ? "class " + c.name : c.name;
    }

    boolean isOwner(int node) {
        if (node <= 0) return false;
        int o = node - 1;
        return (kind[o] == K_INSTANCE || kind[o] == K_CLASS) && classes.get(clsOf[o]).owner;
    }

    /** label of an edge from -> to, or Integer.MIN_VALUE if there is none */
    int edgeLabel(int from, int to) {
        for (int e = edgeStart[from], ee = edgeStart[from + 1]; e < ee; e++) if (edgeTgt[e] == to) return edgeLab[e];
        return Integer.MIN_VALUE;
    }

    String stepText(int lab) {
        if (lab == Integer.MIN_VALUE) return ".~";
        if (lab <= -2) return "[" + (-2L - lab) + "]";
        if (lab == -1) return ".?";
        return "." + labelShort.get(lab);
    }

    static String mb(long b) { return String.format(Locale.ROOT, "%10.2f MB", b / 1048576.0); }

    /** indices of the k largest values (value > 0), descending */
    static int[] topK(long[] vals, int from, int to, int k) {
        int[] heap = new int[k];
        int n = 0;
        for (int i = from; i < to; i++) {
            long v = vals[i];
            if (v <= 0) continue;
            if (n < k) {
                int j = n++;
                heap[j] = i;
                while (j > 0) { int pj = (j - 1) >> 1; if (vals[heap[pj]] <= vals[heap[j]]) break; int t = heap[pj]; heap[pj] = heap[j]; heap[j] = t; j = pj; }
            } else if (v > vals[heap[0]]) {
                heap[0] = i;
                int j = 0;
                while (true) {
                    int l = 2 * j + 1, r = l + 1, s = j;
                    if (l < n && vals[heap[l]] < vals[heap[s]]) s = l;
                    if (r < n && vals[heap[r]] < vals[heap[s]]) s = r;
                    if (s == j) break;
                    int t = heap[s]; heap[s] = heap[j]; heap[j] = t; j = s;
                }
            }
        }
        Integer[] box = new Integer[n];
        for (int i = 0; i < n; i++) box[i] = heap[i];
        Arrays.sort(box, (a, b) -> Long.compare(vals[b], vals[a]));
        int[] out = new int[n];
        for (int i = 0; i < n; i++) out[i] = box[i];
        return out;
    }

    static final class Agg { long bytes; long count; Agg(long b, long c) { bytes = b; count = c; } }

    static List<Map.Entry<String, Agg>> sorted(Map<String, Agg> m) {
        List<Map.Entry<String, Agg>> l = new ArrayList<>(m.entrySet());
        l.sort((a, b) -> Long.compare(b.getValue().bytes, a.getValue().bytes));
        return l;
    }

    void printAggTable(PrintStream out, Map<String, Agg> m, int n) {
        List<Map.Entry<String, Agg>> l = sorted(m);
        int w = 10;
        for (int i = 0; i < Math.min(n, l.size()); i++) w = Math.max(w, l.get(i).getKey().length());
        w = Math.min(w, 110);
        for (int i = 0; i < Math.min(n, l.size()); i++) {
            Map.Entry<String, Agg> e = l.get(i);
            out.printf(Locale.ROOT, "  %-" + w + "s %s  (%d)%n", e.getKey(), mb(e.getValue().bytes), e.getValue().count);
        }
        if (l.size() > n) out.printf(Locale.ROOT, "  ... %d more rows%n", l.size() - n);
    }

    // ---------------------------------------------------------------- report
    void report(PrintStream out, String file) {
        long total = 0, reachedBytes = 0;
        long[] kcnt = new long[4], kbytes = new long[4];
        for (int o = 0; o < nObj; o++) {
            total += shallow[o + 1];
            kcnt[kind[o]]++;
            kbytes[kind[o]] += shallow[o + 1];
        }
        reachedBytes = retained[0];
        out.println("=== HeapOwners: " + file);
        out.printf(Locale.ROOT, "id size %d, header %d, ref size %d, owner prefixes %s%n", idSize, header, refSize, String.join(",", ownerPrefixes));
        out.println();
        out.println("== 1. Totals");
        out.printf(Locale.ROOT, "  objects          %,12d   shallow %,15d bytes %s%n", nObj, total, mb(total));
        String[] kn = {"instances", "object arrays", "primitive arrays", "class objects"};
        for (int k = 0; k < 4; k++) out.printf(Locale.ROOT, "    %-16s %,10d   shallow %,15d bytes %s%n", kn[k], kcnt[k], kbytes[k], mb(kbytes[k]));
        long roots = 0;
        for (int o = 0; o < nObj; o++) if (rootKind[o] != 0) roots++;
        out.printf(Locale.ROOT, "  GC roots (distinct objects, incl. class objects) %,d; reachable objects %,d (%s); unreachable %,d (%s)%n",
                roots, reached - 1, mb(reachedBytes).trim(), nObj - (reached - 1), mb(total - reachedBytes).trim());
        out.printf(Locale.ROOT, "  edges %,d; refs to ids not in dump %,d; root ids not in dump %,d; instances with field-size mismatch %,d; unknown-class instances %,d; duplicate ids %,d%n",
                edgeStart[nNodes] , missingRefs, rootsMissing, fieldSizeMismatch, unknownClassInstances, duplicateIds);
        if (!missingBy.isEmpty()) {
            List<Map.Entry<Integer, long[]>> ml = new ArrayList<>(missingBy.entrySet());
            ml.sort((a, b) -> Long.compare(b.getValue()[0], a.getValue()[0]));
            StringBuilder sb = new StringBuilder("  refs to ids not in dump, by field:");
            for (int i = 0; i < Math.min(6, ml.size()); i++) sb.append(' ').append(missingKey(ml.get(i).getKey())).append(" (").append(ml.get(i).getValue()[0]).append(')');
            out.println(sb);
        }
        out.println();

        // 2. top retained
        out.println("== 2. Top " + top + " objects by retained size (dominator tree; nested entries overlap)");
        out.println("  #   retained        shallow  class  <- immediate dominator [.field if a direct reference]   {nearest owner path}");
        int[] best = topK(retained, 1, nNodes, top);
        for (int r = 0; r < best.length; r++) {
            int x = best[r];
            int d = idom[x];
            String dom;
            String via = "";
            if (d == 0) dom = rootKind[x - 1] == 0 ? "<super-root: not a root itself, reachable from several roots>" : "<GC root " + ROOT_KIND_NAMES[rootKind[x - 1]] + ">";
            else {
                dom = disp(d);
                int l = edgeLabel(d, x);
                if (l >= 0) via = isOwner(d) ? "  via " + labelName.get(l) : "  ." + labelShort.get(l);
                else if (l <= -2) via = "  " + stepText(l);
            }
            out.printf(Locale.ROOT, "  %-3d %s %,10d B  %s  <- %s%s   {%s}%n", r + 1, mb(retained[x]), shallow[x], disp(x), dom, via, ownerPath(x));
        }
        out.println();

        // 3. retained by owner field
        out.println("== 3. Retained by owner field (referent immediately dominated by an owner-class object; rows can nest, do not sum)");
        long[] fb = new long[labelName.size()];
        long[] fc = new long[labelName.size()];
        int[] mark = new int[nNodes];
        Arrays.fill(mark, -1);
        long ownerObjs = 0;
        for (int v = 1; v < nNodes; v++) {
            if (idom[v] < 0 || !isOwner(v)) continue;
            ownerObjs++;
            for (int e = edgeStart[v], ee = edgeStart[v + 1]; e < ee; e++) {
                int t = edgeTgt[e], l = edgeLab[e];
                if (l < 0 || idom[t] != v || mark[t] == v) continue;
                mark[t] = v;
                fb[l] += retained[t];
                fc[l]++;
            }
        }
        Map<String, Agg> byField = new HashMap<>();
        for (int l = 0; l < fb.length; l++) {
            if (fc[l] == 0) continue;
            Agg a = byField.computeIfAbsent(labelName.get(l), k -> new Agg(0, 0));
            a.bytes += fb[l];
            a.count += fc[l];
        }
        out.printf(Locale.ROOT, "  (%,d owner objects reachable)%n", ownerObjs);
        printAggTable(out, byField, top);
        out.println();

        // 4. by GC root
        out.println("== 4. Retained size by class of the GC-root-level dominator (children of the super-root)");
        Map<String, Agg> byRoot = new HashMap<>();
        Map<String, Agg> byKind = new HashMap<>();
        long[] statics = new long[nNodes];
        for (int v = 1; v < nNodes; v++) {
            if (idom[v] != 0) continue;
            int o = v - 1;
            String k = kind[o] == K_CLASS ? "java.lang.Class (class objects: static fields)" : disp(v);
            Agg a = byRoot.computeIfAbsent(k, z -> new Agg(0, 0));
            a.bytes += retained[v]; a.count++;
            Agg b = byKind.computeIfAbsent(ROOT_KIND_NAMES[rootKind[o]], z -> new Agg(0, 0));
            b.bytes += retained[v]; b.count++;
            if (kind[o] == K_CLASS) statics[v] = retained[v];
        }
        printAggTable(out, byRoot, top);
        out.println();
        out.println("  by root kind (first kind reported for the object; CLASS = class object that is no explicit root):");
        printAggTable(out, byKind, 20);
        out.println();
        out.println("  top class objects by retained size (statics):");
        for (int x : topK(statics, 1, nNodes, Math.min(top, 30))) out.printf(Locale.ROOT, "    %s  %s%n", mb(retained[x]), disp(x));
        out.println();

        // 5. shallow histogram
        out.println("== 5. Shallow size by class (count in parentheses)");
        Map<String, Agg> hist = new HashMap<>();
        for (int o = 0; o < nObj; o++) {
            String k = kind[o] == K_CLASS ? "java.lang.Class" : classes.get(clsOf[o]).name;
            Agg a = hist.computeIfAbsent(k, z -> new Agg(0, 0));
            a.bytes += shallow[o + 1]; a.count++;
        }
        printAggTable(out, hist, top);
        if (reached - 1 < nObj) {
            out.println();
            out.println("== 6. Unreachable objects (dumped, but not reachable from the reported GC roots) by class");
            Map<String, Agg> un = new HashMap<>();
            for (int o = 0; o < nObj; o++) {
                if (idom[o + 1] >= 0) continue;
                Agg a = un.computeIfAbsent(disp(o + 1), z -> new Agg(0, 0));
                a.bytes += shallow[o + 1]; a.count++;
            }
            printAggTable(out, un, Math.min(top, 20));
        }
    }

    /** walk up the dominator tree to the nearest owner-class object and show the field path down to x */
    String ownerPath(int x) {
        if (isOwner(x)) return "is owner";
        IntList chain = new IntList(16);
        int v = x;
        int steps = 0;
        while (v > 0 && !isOwner(v) && steps < 10000) { chain.add(v); v = idom[v]; steps++; }
        if (v <= 0 || !isOwner(v)) return "-";
        StringBuilder sb = new StringBuilder(disp(v));
        int n = chain.n;
        int shown = 0;
        for (int i = n - 1; i >= 0; i--) {
            int child = chain.a[i];
            int parent = i == n - 1 ? v : chain.a[i + 1];
            if (shown == maxDepth && i > 0) { sb.append(" ...(").append(i).append(" more)"); break; }
            sb.append(stepText(edgeLabel(parent, child)));
            shown++;
        }
        return sb.toString();
    }

    // ---------------------------------------------------------------- self test of the dominator algorithm
    static void selfTest() {
        Random rnd = new Random(42);
        for (int iter = 0; iter < 3000; iter++) {
            int n = 1 + rnd.nextInt(30);
            int m = rnd.nextInt(n * 3 + 1);
            int[][] es = new int[m][];
            for (int i = 0; i < m; i++) es[i] = new int[]{rnd.nextInt(n), rnd.nextInt(n)};
            int[] start = new int[n + 1];
            for (int[] e : es) start[e[0] + 1]++;
            for (int i = 0; i < n; i++) start[i + 1] += start[i];
            int[] fill = Arrays.copyOf(start, n);
            int[] tgt = new int[m];
            for (int[] e : es) tgt[fill[e[0]]++] = e[1];
            int[] idm = dominators(n, start, tgt)[0];
            // naive: dom sets by data flow
            BitSet reach = new BitSet();
            reach.set(0);
            boolean ch = true;
            while (ch) { ch = false; for (int[] e : es) if (reach.get(e[0]) && !reach.get(e[1])) { reach.set(e[1]); ch = true; } }
            BitSet[] dom = new BitSet[n];
            for (int i = 0; i < n; i++) { dom[i] = new BitSet(); if (i == 0) dom[i].set(0); else dom[i].set(0, n); }
            ch = true;
            while (ch) {
                ch = false;
                for (int v = 1; v < n; v++) {
                    if (!reach.get(v)) continue;
                    BitSet nd = new BitSet(); nd.set(0, n);
                    for (int[] e : es) if (e[1] == v && reach.get(e[0])) nd.and(dom[e[0]]);
                    nd.set(v);
                    if (!nd.equals(dom[v])) { dom[v] = nd; ch = true; }
                }
            }
            for (int v = 0; v < n; v++) {
                int expect = -1;
                if (v != 0 && reach.get(v)) {
                    // idom = strict dominator with largest dom set
                    int bestD = -1, bestSize = -1;
                    for (int d = dom[v].nextSetBit(0); d >= 0; d = dom[v].nextSetBit(d + 1))
                        if (d != v && dom[d].cardinality() > bestSize) { bestSize = dom[d].cardinality(); bestD = d; }
                    expect = bestD;
                }
                if (idm[v] != expect) throw new AssertionError("selftest failed iter " + iter + " node " + v + ": " + idm[v] + " != " + expect);
            }
        }
        System.out.println("dominator self-test OK (3000 random graphs)");
    }

    // ---------------------------------------------------------------- main
    static void usage() {
        System.err.println("usage: java -Xmx4g HeapOwners.java DUMP.hprof [--top N] [--owners p1,p2,...] [--header 8|12|16] [--ref 4|8] [--depth N]");
        System.err.println("       java HeapOwners.java --selftest");
        System.exit(2);
    }

    public static void main(String[] args) throws IOException {
        HeapOwners h = new HeapOwners();
        String file = null;
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            switch (a) {
                case "--top": h.top = Integer.parseInt(args[++i]); break;
                case "--owners": {
                    List<String> l = new ArrayList<>();
                    for (String s : args[++i].split(",")) if (!s.isBlank()) l.add(s.trim());
                    h.ownerPrefixes = l.toArray(new String[0]);
                    break;
                }
                case "--header": h.header = Integer.parseInt(args[++i]); break;
                case "--ref": h.refSize = Integer.parseInt(args[++i]); break;
                case "--depth": h.maxDepth = Integer.parseInt(args[++i]); break;
                case "--selftest": selfTest(); return;
                case "-h": case "--help": usage(); break;
                default:
                    if (a.startsWith("--") || file != null) usage();
                    file = a;
            }
        }
        if (file == null) usage();
        if (h.header != 8 && h.header != 12 && h.header != 16) System.err.println("warning: unusual header size " + h.header);
        long t0 = System.nanoTime();
        try (Arena arena = Arena.ofShared(); FileChannel ch = FileChannel.open(Path.of(file), StandardOpenOption.READ)) {
            h.fileSize = ch.size();
            h.seg = ch.map(FileChannel.MapMode.READ_ONLY, 0, h.fileSize, arena);
            h.pass1();
            log(t0, String.format(Locale.ROOT, "pass 1: %,d objects, %,d classes, %,d strings, %,d root records", h.objIds.n, h.classes.size(), h.strOffs.n, h.rootIds.n));
            h.finishClasses();
            h.buildObjects();
            h.pass2();
            log(t0, String.format(Locale.ROOT, "pass 2: %,d edges", h.edgeStart[h.nNodes]));
            h.computeDominators();
            log(t0, String.format(Locale.ROOT, "dominators: %,d reachable nodes", h.reached));
            h.report(System.out, file);
            System.out.flush();
            log(t0, "done");
        }
    }

    static void log(long t0, String msg) {
        System.err.printf(Locale.ROOT, "[%6.1fs] %s%n", (System.nanoTime() - t0) / 1e9, msg);
    }
}
