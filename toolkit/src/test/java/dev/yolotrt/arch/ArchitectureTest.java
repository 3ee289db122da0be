package dev.yolotrt.arch;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.Test;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

/**
 * The package picture the README describes, kept honest: packages by capability with no cycles
 * between them; the facade (model.Yolo) may use every worker, and only the layers above it (cli,
 * notebook, bench) use the facade; native TensorRT and CUDA calls stay in backend and export.
 */
class ArchitectureTest {

    private static final JavaClasses TOOLKIT = new ClassFileImporter().withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
            .importPackages("dev.yolotrt");

    @Test
    void packagesAreFreeOfCycles() {
        org.junit.jupiter.api.Assertions.assertTrue(TOOLKIT.size() > 80, "classes imported: " + TOOLKIT.size());
        slices().matching("dev.yolotrt.(*)..").should().beFreeOfCycles().check(TOOLKIT);
    }

    @Test
    void workersNeverImportTheFacade() {
        noClasses().that().resideInAnyPackage("dev.yolotrt.backend..", "dev.yolotrt.data..", "dev.yolotrt.predict..",
                        "dev.yolotrt.val..", "dev.yolotrt.export..", "dev.yolotrt.viz..", "dev.yolotrt.cfg..", "dev.yolotrt.util..")
                .should().dependOnClassesThat().resideInAPackage("dev.yolotrt.model..").check(TOOLKIT);
    }

    @Test
    void nativeCallsStayInBackendAndExport() {
        noClasses().that().resideInAnyPackage("dev.yolotrt.predict..", "dev.yolotrt.val..", "dev.yolotrt.data..", "dev.yolotrt.notebook..",
                        "dev.yolotrt.viz..")
                .should().dependOnClassesThat().resideInAnyPackage("org.bytedeco.tensorrt..", "org.bytedeco.cuda..").check(TOOLKIT);
    }
}
