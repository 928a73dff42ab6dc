package io.rebound.server;

import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.Test;

/**
 * No package of rebound-server depends on itself through others (the server's own root package
 * included); the core cannot depend on the server, so no cycle can pass through it.
 * docs/ARCHITECTURE.md has the map.
 */
class PackageCyclesTest {
  private static final JavaClasses SERVER = new ClassFileImporter()
      .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
      .importPackages("io.rebound.server");

  @Test
  void theServerPackagesFormNoCycle() {
    slices().matching("io.rebound.(**)").namingSlices("$1").should().beFreeOfCycles().check(SERVER);
  }
}
