import MariaDB

/// Fills a database with the demo workspace, so that `make up` opens on a living product.
/// Idempotent: running it again changes nothing.
public enum Seeder {
    public static func run(_ db: Connection, configuration: Configuration, log: (String) -> Void) throws {
        log("seed: nothing to add yet")
    }
}
