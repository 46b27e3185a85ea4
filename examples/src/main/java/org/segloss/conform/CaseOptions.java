package org.segloss.conform;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import org.segloss.conform.Mapping.NotMappable;
import org.segloss.conform.Mapping.Reason;

/**
 * A case's settings, read by a mapping: {@code effective_options} overlaid with {@code options}
 * (every setting the reference used), and {@code implicit_constants}. Every getter records the key
 * it read; {@link #unread()} lists the rest, which {@link LossMapper} turns into "unsupported:
 * option ... not understood", so a setting no mapping looked at can never be silently ignored.
 *
 * <p>A value of the wrong type, or one the mapping rejects, throws {@link NotMappable} with
 * {@link Reason#OPTION} naming the option and the value.
 */
public final class CaseOptions {
    private final String owner;
    private final Map<String, Object> values = new LinkedHashMap<>();
    private final Map<String, Object> constants = new LinkedHashMap<>();
    private final Set<String> read = new HashSet<>();
    private final Set<String> readConstants = new HashSet<>();

    /**
     * @param owner the reference, e.g. "Project-MONAI/MONAI DiceLoss", for messages
     */
    public CaseOptions(String owner, Map<String, Object> effectiveOptions, Map<String, Object> options,
                       Map<String, Object> implicitConstants) {
        this.owner = owner;
        if (effectiveOptions != null) values.putAll(effectiveOptions);
        if (options != null) values.putAll(options);   // verbatim kwargs win (they should agree anyway)
        if (implicitConstants != null) constants.putAll(implicitConstants);
    }

    /** The options of a case. */
    public static CaseOptions of(CaseFile.Case c) {
        return new CaseOptions(c.reference().repo() + " " + c.reference().symbol(), c.effectiveOptions(), c.options(),
                c.implicitConstants());
    }

    /** Whether the option is present (does not count as reading it). */
    public boolean has(String key) { return values.containsKey(key); }

    /** The raw value (Double, Boolean, String, List, Map or null); null when absent. */
    public Object raw(String key) {
        read.add(key);
        return values.get(key);
    }

    /** A boolean option; {@code absent} when the option is not there. */
    public boolean bool(String key, boolean absent) {
        if (!has(key)) { read.add(key); return absent; }
        Object v = raw(key);
        if (v instanceof Boolean b) return b;
        throw bad(key, v, "true or false");
    }

    /** A number; {@code absent} when the option is not there. */
    public double number(String key, double absent) {
        if (!has(key)) { read.add(key); return absent; }
        Object v = raw(key);
        if (v instanceof Number n) return n.doubleValue();
        throw bad(key, v, "a number");
    }

    /** A string option (null allowed); {@code absent} when the option is not there. */
    public String string(String key, String absent) {
        if (!has(key)) { read.add(key); return absent; }
        Object v = raw(key);
        if (v == null || v instanceof String) return (String) v;
        throw bad(key, v, "a string");
    }

    /** A list of numbers as floats, or null when the option is absent or null. */
    public float[] floats(String key) {
        Object v = raw(key);
        if (v == null) return null;
        if (v instanceof List<?> l) {
            float[] f = new float[l.size()];
            for (int i = 0; i < f.length; i++) {
                if (!(l.get(i) instanceof Number n)) throw bad(key, v, "a list of numbers");
                f[i] = n.floatValue();
            }
            return f;
        }
        throw bad(key, v, "a list of numbers or null");
    }

    /** A list of integers, or null when the option is absent or null. */
    public int[] ints(String key) {
        Object v = raw(key);
        if (v == null) return null;
        if (v instanceof List<?> l) {
            int[] r = new int[l.size()];
            for (int i = 0; i < r.length; i++) {
                if (!(l.get(i) instanceof Number n) || n.doubleValue() != Math.rint(n.doubleValue())) {
                    throw bad(key, v, "a list of integers");
                }
                r[i] = n.intValue();
            }
            return r;
        }
        throw bad(key, v, "a list of integers or null");
    }

    /**
     * Requires the option to have the value the mapping supports (JSON numbers compare as doubles);
     * an absent option counts as {@code expected}.
     */
    public void require(String key, Object expected, String why) {
        if (!has(key)) { read.add(key); return; }
        Object v = raw(key);
        boolean same = v instanceof Number a && expected instanceof Number b ? a.doubleValue() == b.doubleValue()
                : Objects.equals(v, expected);
        if (!same) {
            throw new NotMappable(Reason.OPTION, owner + ": option '" + key + "' must be " + show(expected) + " for this mapping, got "
                    + show(v) + " (" + why + ")");
        }
    }

    /** An implicit constant (a number hard-coded in the reference); {@code absent} when not listed. */
    public double constant(String key, double absent) {
        readConstants.add(key);
        if (!constants.containsKey(key)) return absent;
        Object v = constants.get(key);
        if (v instanceof Number n) return n.doubleValue();
        throw new NotMappable(Reason.OPTION, owner + ": implicit constant '" + key + "' must be a number, got " + show(v));
    }

    /** A non-numeric implicit constant (e.g. a {@code sign} description), or null when not listed. */
    public Object constantRaw(String key) {
        readConstants.add(key);
        return constants.get(key);
    }

    /** The implicit constants of the case that no getter has read yet, by key. */
    List<String> unreadConstantKeys() {
        List<String> out = new ArrayList<>();
        for (String k : constants.keySet()) if (!readConstants.contains(k)) out.add(k);
        return out;
    }

    /** The settings nobody read, as {@code "option 'k' = v"} / {@code "implicit constant 'k' = v"}. */
    public List<String> unread() {
        List<String> out = new ArrayList<>();
        for (var e : values.entrySet()) {
            if (!read.contains(e.getKey())) out.add("option '" + e.getKey() + "' = " + show(e.getValue()));
        }
        for (var e : constants.entrySet()) {
            if (!readConstants.contains(e.getKey())) out.add("implicit constant '" + e.getKey() + "' = " + show(e.getValue()));
        }
        return out;
    }

    /** For messages. */
    public String owner() { return owner; }

    private NotMappable bad(String key, Object v, String expected) {
        return new NotMappable(Reason.OPTION, owner + ": option '" + key + "' must be " + expected + ", got " + show(v));
    }

    /** JSON-ish rendering: strings quoted, integral doubles without ".0". */
    static String show(Object v) {
        if (v == null) return "null";
        if (v instanceof String s) return "\"" + s + "\"";
        if (v instanceof Double d && d == Math.rint(d) && Math.abs(d) < 1e15) return Long.toString(d.longValue());
        if (v instanceof List<?> l) {
            List<String> parts = new ArrayList<>();
            for (Object o : l) parts.add(show(o));
            return "[" + String.join(", ", parts) + "]";
        }
        return String.valueOf(v);
    }
}
