package io.rebound.core;

import io.rebound.core.enqueue.EnqueueRequest;

import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.Test;

/**
 * No package of rebound-core depends on itself through others: each package (the facade's own,
 * {@code io.rebound.core}, included) is one slice, and the slices form no cycle. docs/ARCHITECTURE.md
 * has the map.
 */
class PackageCyclesTest {
  private static final JavaClasses CORE = new ClassFileImporter()
      .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
      .importPackages("io.rebound.core");

  @Test
  void theCorePackagesFormNoCycle() {
    slices().matching("io.rebound.(**)").namingSlices("$1")
        .should().beFreeOfCycles()
        .check(CORE);
  }
}
