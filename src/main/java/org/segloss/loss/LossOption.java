package org.segloss.loss;

import java.util.List;
import java.util.Locale;
import java.util.function.BiConsumer;
import java.util.function.Function;

/**
 * One option of a loss, declared once next to the loss's builder: its name, type, default,
 * allowed values, one line of documentation and how it sets the builder. The builder's field
 * default is read from the declaration ({@link #defaultFloat()} and the like), and whatever lists
 * or parses options (a command line, a catalogue, a study) reads the same declaration, so no
 * name, default or text is written twice.
 *
 * <p>Names are kebab-case ({@code smooth-nr}); {@link #camelName()} gives the builder's method
 * name ({@code smoothNr}, MONAI's name camelCased). Defaults are written as text, the way a user
 * writes the value ({@code 1e-5}); null means "none" (e.g. no class weights). List options
 * ({@link Kind#NUMBERS}, {@link Kind#INTEGERS}) carry a text for their length ({@code one per kept
 * class}); their length may depend on the number of classes and is checked by the builder when
 * the loss is built.
 *
 * @param <B> the builder the option sets
 * @param <T> the value's type: Float, Double, Integer, Boolean, an enum, float[], double[], int[], String
 */
public final class LossOption<B, T> {
    /** The kinds of value. */
    public enum Kind { NUMBER, INTEGER, BOOLEAN, CHOICE, NUMBERS, INTEGERS, CHOICE_OR_INTEGERS, CHOICE_OR_NUMBERS }

    /** A numeric range; NaN bounds are open-ended. */
    public record Range(double lo, boolean loIncluded, double hi, boolean hiIncluded) {
        public static final Range ANY = new Range(Double.NaN, false, Double.NaN, false);
        public static final Range NON_NEG = new Range(0, true, Double.NaN, false);
        public static final Range POS = new Range(0, false, Double.NaN, false);
        public static final Range UNIT = new Range(0, true, 1, true);
        public static final Range UNIT_OPEN = new Range(0, true, 1, false);

        public boolean contains(double v) {
            if (!Double.isNaN(lo) && (loIncluded ? v < lo : v <= lo)) return false;
            return Double.isNaN(hi) || (hiIncluded ? v <= hi : v < hi);
        }

        /** ">= 0", "in [0, 1)", or "" for ANY. */
        public String text() {
            if (Double.isNaN(lo) && Double.isNaN(hi)) return "";
            if (Double.isNaN(hi)) return (loIncluded ? ">= " : "> ") + fmt(lo);
            if (Double.isNaN(lo)) return (hiIncluded ? "<= " : "< ") + fmt(hi);
            return "in " + (loIncluded ? "[" : "(") + fmt(lo) + ", " + fmt(hi) + (hiIncluded ? "]" : ")");
        }

        private static String fmt(double v) { return v == Math.rint(v) ? String.valueOf((long) v) : String.valueOf(v); }
    }

    private final String name;
    private final Kind kind;
    private final String defaultText;
    private final List<String> choices;
    private final Range range;
    private final String length;
    private final String doc;
    private final BiConsumer<B, T> setter;
    private final Function<String, T> parser;
    private final String shownDefault;

    private LossOption(String name, Kind kind, String defaultText, List<String> choices, Range range, String length, String doc,
            BiConsumer<B, T> setter, Function<String, T> parser) {
        this(name, kind, defaultText, choices, range, length, doc, setter, parser, null);
    }

    private LossOption(String name, Kind kind, String defaultText, List<String> choices, Range range, String length, String doc,
            BiConsumer<B, T> setter, Function<String, T> parser, String shownDefault) {
        if (name == null || !name.matches("[a-z][a-z0-9]*(-[a-z0-9]+)*")) {
            throw new IllegalArgumentException("LossOption: name must be kebab-case, got '" + name + "'");
        }
        if (doc == null || doc.isBlank()) throw new IllegalArgumentException("LossOption " + name + ": doc must be given");
        this.name = name;
        this.kind = kind;
        this.defaultText = defaultText;
        this.choices = List.copyOf(choices);
        this.range = range;
        this.length = length;
        this.doc = doc;
        this.setter = setter;
        this.parser = parser;
        this.shownDefault = shownDefault;
    }

    /**
     * The same option with its default described as {@code text} where the value alone says too
     * little (e.g. {@code none (frequency weights)}, {@code 1..C-1 (all foreground)}).
     */
    public LossOption<B, T> shown(String text) {
        return new LossOption<>(name, kind, defaultText, choices, range, length, doc, setter, parser, text);
    }

    /**
     * The same option with another default and doc: a caller's own default for its setting (e.g. a
     * trainer's include-background=false), stated once with its reason in {@code doc}.
     */
    public LossOption<B, T> withDefault(String dflt, String newDoc) {
        return new LossOption<>(name, kind, dflt, choices, range, length, newDoc, setter, parser, null);
    }

    /** The same option (name, kind, default, doc) setting another builder, e.g. a composite's. */
    public <C> LossOption<C, T> on(BiConsumer<C, T> otherSetter) {
        return new LossOption<>(name, kind, defaultText, choices, range, length, doc, otherSetter, parser, shownDefault);
    }

    /** The same option with another doc line (a composite saying which of its parts the option sets). */
    public LossOption<B, T> withDoc(String newDoc) {
        return new LossOption<>(name, kind, defaultText, choices, range, length, newDoc, setter, parser, shownDefault);
    }

    // ---- declarations ----

    /** A number (a float option of the builder). */
    public static <B> LossOption<B, Float> number(String name, String dflt, Range range, String doc, BiConsumer<B, Float> setter) {
        return new LossOption<>(name, Kind.NUMBER, dflt, List.of(), range, null, doc, setter, t -> (float) Double.parseDouble(t));
    }

    /** A number the builder keeps in double precision. */
    public static <B> LossOption<B, Double> real(String name, String dflt, Range range, String doc, BiConsumer<B, Double> setter) {
        return new LossOption<>(name, Kind.NUMBER, dflt, List.of(), range, null, doc, setter, Double::parseDouble);
    }

    public static <B> LossOption<B, Integer> integer(String name, String dflt, Range range, String doc, BiConsumer<B, Integer> setter) {
        return new LossOption<>(name, Kind.INTEGER, dflt, List.of(), range, null, doc, setter, Integer::parseInt);
    }

    public static <B> LossOption<B, Boolean> bool(String name, boolean dflt, String doc, BiConsumer<B, Boolean> setter) {
        return new LossOption<>(name, Kind.BOOLEAN, String.valueOf(dflt), List.of(), Range.ANY, null, doc, setter, Boolean::parseBoolean);
    }

    /**
     * One of the constants of an enum, written in lower kebab case ({@code MEAN_THEN_POWER} is
     * {@code mean-then-power}); {@code values} restricts and orders the allowed ones (all when empty).
     */
    @SafeVarargs
    public static <B, E extends Enum<E>> LossOption<B, E> choice(String name, E dflt, String doc, BiConsumer<B, E> setter, E... values) {
        List<String> names = (values.length == 0 ? List.of(dflt.getDeclaringClass().getEnumConstants()) : List.of(values)).stream()
                .map(LossOption::choiceName).toList();
        Class<E> type = dflt.getDeclaringClass();
        return new LossOption<>(name, Kind.CHOICE, choiceName(dflt), names, Range.ANY, null, doc, setter,
                t -> Enum.valueOf(type, t.strip().toUpperCase(Locale.ROOT).replace('-', '_')));
    }

    /** One of some words, applied by the caller (e.g. a schedule's name); no default when {@code dflt} is null. */
    public static <B> LossOption<B, String> word(String name, String dflt, String doc, String... values) {
        return new LossOption<>(name, Kind.CHOICE, dflt, List.of(values), Range.ANY, null, doc, null,
                t -> t.strip().toLowerCase(Locale.ROOT).replace('_', '-'));
    }

    /** A list of numbers, no default (none). */
    public static <B> LossOption<B, float[]> numbers(String name, String length, Range range, String doc, BiConsumer<B, float[]> setter) {
        return new LossOption<>(name, Kind.NUMBERS, null, List.of(), range, length, doc, setter, LossOption::parseFloats);
    }

    /** A list of numbers the builder keeps in double precision, no default (none). */
    public static <B> LossOption<B, double[]> reals(String name, String length, Range range, String doc, BiConsumer<B, double[]> setter) {
        return new LossOption<>(name, Kind.NUMBERS, null, List.of(), range, length, doc, setter, LossOption::parseDoubles);
    }

    /** A list of integers, no default (none). */
    public static <B> LossOption<B, int[]> integers(String name, String length, Range range, String doc, BiConsumer<B, int[]> setter) {
        return new LossOption<>(name, Kind.INTEGERS, null, List.of(), range, length, doc, setter, LossOption::parseInts);
    }

    /** One of {@code choices}, or a list ({@link Kind#CHOICE_OR_INTEGERS} / {@link Kind#CHOICE_OR_NUMBERS}); set by the caller. */
    public static <B> LossOption<B, String> choiceOrList(String name, Kind kind, String dflt, List<String> choices, Range range,
            String length, String doc) {
        if (kind != Kind.CHOICE_OR_INTEGERS && kind != Kind.CHOICE_OR_NUMBERS) {
            throw new IllegalArgumentException("LossOption.choiceOrList: kind must be CHOICE_OR_INTEGERS or CHOICE_OR_NUMBERS, got " + kind);
        }
        return new LossOption<>(name, kind, dflt, choices, range, length, doc, null, String::strip);
    }

    /** An enum constant as written in options: lower case, '_' as '-'. */
    public static String choiceName(Enum<?> e) {
        return e.name().toLowerCase(Locale.ROOT).replace('_', '-');
    }

    // ---- reading ----

    public String name() { return name; }

    /** The builder method's name: {@code smooth-nr} is {@code smoothNr}. */
    public String camelName() {
        StringBuilder b = new StringBuilder();
        boolean up = false;
        for (char ch : name.toCharArray()) {
            if (ch == '-') up = true;
            else {
                b.append(up ? Character.toUpperCase(ch) : ch);
                up = false;
            }
        }
        return b.toString();
    }

    public Kind kind() { return kind; }

    /** The default as written, or null for none. */
    public String defaultText() { return defaultText; }

    /** The default as a listing shows it: {@link #shown}'s text, else the default, else {@code none}. */
    public String shownDefault() { return shownDefault != null ? shownDefault : defaultText != null ? defaultText : "none"; }

    /** The allowed words of CHOICE and CHOICE_OR_* options (empty otherwise). */
    public List<String> choices() { return choices; }

    public Range range() { return range; }

    /** The length of a list option, in words ({@code one per kept class}); null for scalars. */
    public String length() { return length; }

    /** One line of documentation. */
    public String doc() { return doc; }

    /** Whether {@link #set} can apply it (CHOICE_OR_* options are applied by the caller). */
    public boolean hasSetter() { return setter != null; }

    /**
     * The value of a text the caller has checked against {@link #kind()}, {@link #range()} and
     * {@link #choices()} (lists as {@code [1,2,3]} or {@code 1,2,3}).
     */
    public T parse(String text) { return parser.apply(text); }

    private static String[] items(String text) {
        String s = text.strip();
        if (s.startsWith("[") && s.endsWith("]")) s = s.substring(1, s.length() - 1);
        String[] parts = s.split(",", -1);
        for (int i = 0; i < parts.length; i++) parts[i] = parts[i].strip();
        return parts;
    }

    private static float[] parseFloats(String text) {
        String[] p = items(text);
        float[] f = new float[p.length];
        for (int i = 0; i < p.length; i++) f[i] = (float) Double.parseDouble(p[i]);
        return f;
    }

    private static double[] parseDoubles(String text) {
        String[] p = items(text);
        double[] d = new double[p.length];
        for (int i = 0; i < p.length; i++) d[i] = Double.parseDouble(p[i]);
        return d;
    }

    private static int[] parseInts(String text) {
        String[] p = items(text);
        int[] v = new int[p.length];
        for (int i = 0; i < p.length; i++) v[i] = Integer.parseInt(p[i]);
        return v;
    }

    /** Sets {@code value} into {@code builder}; returns the builder. */
    public B set(B builder, T value) {
        if (setter == null) throw new IllegalStateException("LossOption " + name + " is applied by its caller, not by set()");
        setter.accept(builder, value);
        return builder;
    }

    /** The float default of a NUMBER option, for the builder's field. */
    public float defaultFloat() { return Float.parseFloat(requireDefault(Kind.NUMBER)); }

    /** The double default of a NUMBER option. */
    public double defaultDouble() { return Double.parseDouble(requireDefault(Kind.NUMBER)); }

    public int defaultInt() { return Integer.parseInt(requireDefault(Kind.INTEGER)); }

    public boolean defaultBoolean() { return Boolean.parseBoolean(requireDefault(Kind.BOOLEAN)); }

    /** The enum default of a CHOICE option. */
    public <E extends Enum<E>> E defaultChoice(Class<E> type) {
        return Enum.valueOf(type, requireDefault(Kind.CHOICE).toUpperCase(Locale.ROOT).replace('-', '_'));
    }

    private String requireDefault(Kind expected) {
        if (kind != expected || defaultText == null) {
            throw new IllegalStateException("LossOption " + name + ": a " + kind + " option with default " + defaultText
                    + " has no " + expected + " default");
        }
        return defaultText;
    }

    @Override
    public String toString() { return name + " (" + kind + ", default " + (defaultText == null ? "none" : defaultText) + ")"; }
}
