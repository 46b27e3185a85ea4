package org.segloss.conform;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.Gson;
import com.google.gson.JsonObject;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.segloss.conform.CaseResult.Status;
import org.segloss.conform.Mapping.Reason;
import org.segloss.conform.Mapping.Unsupported;
import org.segloss.io.Npy;
import org.segloss.io.NpyArray;
import org.segloss.tensor.Tensor;

/** {@link LossMapper} and {@link ConformanceRunner} on the real cases and on edited copies of them. */
class LossMapperTest {
    static CaseFile file;
    final LossMapper mapper = new LossMapper();

    @BeforeAll
    static void load() throws IOException {
        file = ConformanceTest.load();
    }

    static CaseFile.Case byId(String id) {
        return file.cases().stream().filter(c -> c.id().equals(id)).findFirst().orElseThrow();
    }

    /** A copy of the case with one option set (in both options and effective_options). */
    static CaseFile.Case withOption(CaseFile.Case c, String key, Object value) {
        Map<String, Object> opts = new LinkedHashMap<>(c.options());
        Map<String, Object> eff = new LinkedHashMap<>(c.effectiveOptions());
        opts.put(key, value);
        eff.put(key, value);
        return copy(c, c.reference(), opts, eff, c.implicitConstants(), c.task(), c.preActivation());
    }

    static CaseFile.Case copy(CaseFile.Case c, CaseFile.Reference ref, Map<String, Object> opts, Map<String, Object> eff,
                              Map<String, Object> consts, String task, String pre) {
        return new CaseFile.Case(c.id(), task, c.loss(), ref, opts, eff, consts, c.numClasses(), c.spatialDims(), c.input(), pre,
                c.target(), c.auxInputs(), c.expected(), c.conformance(), c.notes(), c.quirk());
    }

    static CaseFile.Case withSymbol(CaseFile.Case c, String repo, String symbol) {
        CaseFile.Reference r = c.reference();
        return copy(c, new CaseFile.Reference(repo, r.commit(), r.file(), symbol, r.call()), c.options(), c.effectiveOptions(),
                c.implicitConstants(), c.task(), c.preActivation());
    }

    Unsupported unsupported(CaseFile.Case c) {
        return assertInstanceOf(Unsupported.class, mapper.map(c), c.id());
    }

    // ---- the Dice cases --------------------------------------------------------------------------------

    @Test
    void theDiceCasesPass() {
        ConformanceRunner runner = new ConformanceRunner(file, mapper);
        List<String> passed = new ArrayList<>();
        for (CaseFile.Case c : file.cases()) {
            if (!(mapper.map(c) instanceof Mapping.ForLoss)) continue;
            CaseResult r = runner.run(c, null);
            assertEquals(Status.PASS, r.status(), Report.line(r));
            passed.add(c.id());
        }
        // 8 MONAI DiceLoss cases + LIVIAETS DiceLoss(idc=[1, 2]) (through pre_activation softmax)
        assertEquals(9, passed.size(), passed.toString());
        assertTrue(passed.contains("liviaets_dice_2d_idc12"));
    }

    @Test
    void preActivationMatters() {
        // LIVIAETS DiceLoss takes probabilities; without the softmax the library sees logits and refuses them
        CaseFile.Case c = byId("liviaets_dice_2d_idc12");
        CaseFile.Case raw = copy(c, c.reference(), c.options(), c.effectiveOptions(), c.implicitConstants(), c.task(), "none");
        CaseResult r = new ConformanceRunner(file, mapper).run(raw, null);
        assertEquals(Status.FAIL, r.status());
        assertTrue(r.detail().contains("probabilities"), r.detail());
        CaseFile.Case odd = copy(c, c.reference(), c.options(), c.effectiveOptions(), c.implicitConstants(), c.task(), "sigmoid");
        assertEquals(Reason.OPTION, new ConformanceRunner(file, mapper).run(odd, null).reason());
    }

    @Test
    void writesWhatCheckNpyReads(@TempDir Path out) throws IOException {
        CaseFile.Case c = byId("monai_dice_3d_weight");
        CaseResult r = new ConformanceRunner(file, mapper).run(c, out);
        assertEquals(Status.PASS, r.status(), r.detail());
        JsonObject json = new Gson().fromJson(Files.readString(out.resolve(c.id() + ".loss.json")), JsonObject.class);
        assertEquals(1, json.size());
        double loss = json.get("loss").getAsDouble();
        assertTrue(Tolerance.LOSS.close(loss, c.expected().loss()), loss + " vs " + c.expected().loss());
        NpyArray grad = Npy.read(out.resolve(c.id() + ".grad.npy"));
        assertEquals(NpyArray.Dtype.FLOAT32, grad.dtype());
        assertEquals(c.expected().gradShape(), java.util.Arrays.stream(grad.shape()).boxed().toList());
    }

    // ---- options: never silently ignored -------------------------------------------------------------

    @Test
    void anUnknownOptionIsUnsupportedWithItsName() {
        Unsupported u = unsupported(withOption(byId("monai_dice_3d_batch"), "ignore_index", 255.0));
        assertEquals(Reason.OPTION, u.reason());
        assertTrue(u.detail().contains("'ignore_index'") && u.detail().contains("255"), u.detail());
    }

    @Test
    void anUnknownImplicitConstantIsUnsupportedWithItsName() {
        CaseFile.Case c = byId("liviaets_dice_2d_idc12");
        Map<String, Object> consts = new LinkedHashMap<>(c.implicitConstants());
        consts.put("sign", "-mean(dice)");
        Unsupported u = unsupported(copy(c, c.reference(), c.options(), c.effectiveOptions(), consts, c.task(), c.preActivation()));
        assertEquals(Reason.OPTION, u.reason());
        assertTrue(u.detail().contains("implicit constant 'sign'"), u.detail());
    }

    @Test
    void optionValuesTheLibraryCannotExpressAreUnsupportedWithNameAndValue() {
        CaseFile.Case dice = byId("monai_dice_3d_batch");
        record Edit(String key, Object value, String mustMention) {}
        for (Edit e : List.of(
                new Edit("batch", "yes", "'batch'"),
                new Edit("other_act", "tanh", "'other_act'"),
                new Edit("sigmoid", true, "'sigmoid'"),            // with softmax: both true
                new Edit("reduction", "none", "'reduction'"),
                new Edit("to_onehot_y", false, "'to_onehot_y'"),
                new Edit("smooth_dr", 0.0, "smoothDr"),            // the library's builder refuses it
                new Edit("weight", List.of(1.0, 2.0), "weight"))) { // 2 weights for 3 classes
            Unsupported u = unsupported(withOption(dice, e.key(), e.value()));
            assertEquals(Reason.OPTION, u.reason(), e.toString());
            assertTrue(u.detail().contains(e.mustMention()), e + ": " + u.detail());
        }
        Unsupported idc = unsupported(withOption(byId("liviaets_dice_2d_idc12"), "idc", List.of(2.0)));
        assertTrue(idc.detail().contains("'idc'") && idc.detail().contains("[2]"), idc.detail());
    }

    @Test
    void aScalarWeightAppliesToEveryClass() {
        CaseFile.Case c = withOption(byId("monai_dice_3d_batch"), "weight", 2.0);
        Mapping.ForLoss m = assertInstanceOf(Mapping.ForLoss.class, mapper.map(c));
        assertTrue(m.description().contains("weight=[2.0, 2.0, 2.0]"), m.description());
    }

    // ---- unsupported losses, variants, references ------------------------------------------------------

    @Test
    void lossesNotInTheLibraryYetSaySo() {
        Unsupported u = unsupported(byId("monai_tversky_3d_a03_b07"));
        assertEquals(Reason.NOT_IN_LIBRARY, u.reason());
        assertEquals("TverskyLoss not in the library yet", u.detail());
        // README symbols without a case in this folder are known too
        Unsupported ce = unsupported(withSymbol(byId("segloss_wce_3d"), LossMapper.SEGLOSS, "CrossentropyND"));
        assertEquals(Reason.NOT_IN_LIBRARY, ce.reason());
        assertEquals(Reason.NOT_IN_LIBRARY, unsupported(byId("dist_3d_iso")).reason());
    }

    @Test
    void segLossSoftDiceIsAVariantTheLibraryDoesNotOffer() {
        Unsupported u = unsupported(byId("segloss_softdice_3d_nobg"));
        assertEquals(Reason.VARIANT_NOT_OFFERED, u.reason());
        assertTrue(u.detail().contains("-mean(dice)"), u.detail());
    }

    @Test
    void unknownReferencesAndTasks() {
        Unsupported u = unsupported(withSymbol(byId("monai_dice_3d_batch"), LossMapper.MONAI, "HausdorffDTLoss"));
        assertEquals(Reason.UNKNOWN_REFERENCE, u.reason());
        assertTrue(u.detail().contains("HausdorffDTLoss"), u.detail());
        CaseFile.Case c = byId("monai_dice_3d_batch");
        Unsupported t = unsupported(copy(c, c.reference(), c.options(), c.effectiveOptions(), c.implicitConstants(), "segment",
                c.preActivation()));
        assertEquals(Reason.UNKNOWN_REFERENCE, t.reason());
    }

    @Test
    void everyReadmeSymbolHasAnEntry() {
        List<String> expected = List.of(
                "Project-MONAI/MONAI DiceLoss", "Project-MONAI/MONAI GeneralizedDiceLoss", "Project-MONAI/MONAI TverskyLoss",
                "Project-MONAI/MONAI FocalLoss", "Project-MONAI/MONAI DiceCELoss",
                "Project-MONAI/MONAI GeneralizedWassersteinDiceLoss",
                "LucasFidon/GeneralizedWassersteinDiceLoss GeneralizedWassersteinDiceLoss",
                "bermanmaxim/LovaszSoftmax lovasz_softmax", "bermanmaxim/LovaszSoftmax lovasz_hinge",
                "LIVIAETS/boundary-loss SurfaceLoss + utils.one_hot2dist", "LIVIAETS/boundary-loss one_hot2dist",
                "LIVIAETS/boundary-loss GeneralizedDice", "LIVIAETS/boundary-loss DiceLoss",
                "JunMa11/SegLoss CrossentropyND", "JunMa11/SegLoss WeightedCrossEntropyLoss", "JunMa11/SegLoss SoftDiceLoss",
                "JunMa11/SegLoss GDiceLoss", "JunMa11/SegLoss GDiceLossV2", "JunMa11/SegLoss TverskyLoss",
                "JunMa11/SegLoss FocalTversky_loss", "JunMa11/SegLoss SSLoss", "JunMa11/SegLoss AsymLoss",
                "JunMa11/SegLoss ExpLog_loss", "JunMa11/SegLoss DC_and_CE_loss", "JunMa11/SegLoss FocalLoss");
        for (String s : expected) assertTrue(mapper.symbols().contains(s), s);
    }

    // ---- the distance-map path of the runner (no transform in the library yet) ------------------------

    @Test
    void distanceMapPlumbingComparesAndWrites(@TempDir Path out) throws IOException {
        CaseFile.Case c = byId("dist_2d_aniso");
        Tensor expected = Npy.readTensor(ConformanceTest.VECTORS.resolve(c.expected().distFile()));
        // a stand-in transform that returns the reference's own map (as float32): exercises load, write and compare only
        LossMapper echo = new LossMapper();
        echo.register(LossMapper.LIVIAETS, "one_hot2dist", (cs, o) -> {
            o.raw("num_classes"); o.raw("resolution"); o.raw("dtype"); o.raw("onehot_dtype");
            return new Mapping.ForDistanceMap("echo", image -> expected);
        });
        CaseResult r = new ConformanceRunner(file, echo).run(c, out);
        assertEquals(Status.PASS, r.status(), r.detail());
        assertTrue(Files.exists(out.resolve(c.id() + ".dist.npy")));

        LossMapper zero = new LossMapper();
        zero.register(LossMapper.LIVIAETS, "one_hot2dist", (cs, o) -> {
            o.raw("num_classes"); o.raw("resolution"); o.raw("dtype"); o.raw("onehot_dtype");
            return new Mapping.ForDistanceMap("zeros", image -> Tensor.zeros(expected.shape()));
        });
        CaseResult z = new ConformanceRunner(file, zero).run(c, null);
        assertEquals(Status.FAIL, z.status());
        assertTrue(z.detail().startsWith("dist: ") && z.detail().contains("elements off"), z.detail());
    }

    // ---- the report --------------------------------------------------------------------------------------

    @Test
    void closingLineIsAloneAndUnsupportedFollowWithReasons() throws IOException {
        List<CaseResult> results = new ConformanceRunner(file, mapper).runAll(null, r -> { });
        List<String> closing = Report.closing(results);
        assertTrue(closing.get(0).matches("\\d+ passed, \\d+ failed"), closing.get(0));
        assertEquals("9 passed, 0 failed", closing.get(0));
        long unsupported = results.stream().filter(r -> r.status() == Status.UNSUPPORTED).count();
        assertEquals(unsupported + " unsupported:", closing.get(1));
        assertEquals(unsupported, closing.size() - 2);
        assertTrue(closing.contains("  monai_tversky_3d_a03_b07: TverskyLoss not in the library yet"), closing.toString());
        assertTrue(Report.line(results.get(0)).startsWith("PASS         monai_dice_3d_softmax_nobg  [dice, standard]  loss abs err"));
    }
}
