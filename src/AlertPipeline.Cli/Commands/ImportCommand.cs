using AlertPipeline.Adapters;
using AlertPipeline.Adapters.Enrich;
using AlertPipeline.Cli.Replay;
using AlertPipeline.Core.Enrich;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace AlertPipeline.Cli.Commands;

/// <summary>
/// <c>alertpipe inventory import</c> and <c>alertpipe indicators import</c>: load a file into its Table, row by row, each
/// replacing the row of the same key; both report and exit alike.
/// </summary>
internal static class ImportCommand
{
    public const string InventoryUsage = """
        usage: alertpipe inventory import <file> --storage <connection string>

        Writes every valid sandbox of <file> (the inventory JSON of docs/telemetry-schema.md) to Table 'sandboxes',
        replacing rows of the same id. Invalid rows are reported as <file>:<line> and skipped.
        Exit 0 when every row was imported, 1 when some were skipped, 2 for bad arguments or an unreadable file.
        """;

    public const string IndicatorsUsage = """
        usage: alertpipe indicators import <file> --storage <connection string>

        Writes every valid indicator of <file> (a JSON array or CSV with a header, see docs/indicators.md) to Table
        'indicators', replacing rows of the same source and value. Invalid rows are reported as <file>:<line> and skipped.
        Exit 0 when every row was imported, 1 when some were skipped, 2 for bad arguments or an unreadable file.
        """;

    /// <summary><c>inventory import</c>: sandboxes into Table <c>sandboxes</c>.</summary>
    public static Task<int> InventoryAsync(IReadOnlyList<string> args, TextWriter stdout, TextWriter stderr, CancellationToken cancellationToken)
        => RunAsync(args, "inventory", "sandboxes", path => (ImportFile.Sandboxes(path, stderr, out var skipped), skipped),
            services => services.GetRequiredService<ISandboxInventory>() is TableSandboxInventory table ? table.UpsertAsync : null, stdout, cancellationToken);

    /// <summary><c>indicators import</c>: threat indicators into Table <c>indicators</c>.</summary>
    public static Task<int> IndicatorsAsync(IReadOnlyList<string> args, TextWriter stdout, TextWriter stderr, CancellationToken cancellationToken)
        => RunAsync(args, "indicators", "indicators", path => (ImportFile.Indicators(path, stderr, out var skipped), skipped),
            services => services.GetRequiredService<IIndicatorStore>() is TableIndicatorStore table ? table.UpsertAsync : null, stdout, cancellationToken);

    private static async Task<int> RunAsync<TRow>(
        IReadOnlyList<string> args,
        string command,
        string rowsName,
        Func<string, (IReadOnlyList<TRow> Rows, int Skipped)> read,
        Func<IServiceProvider, Func<TRow, CancellationToken, Task>?> tableUpsert,
        TextWriter stdout,
        CancellationToken cancellationToken)
    {
        var parsed = new CliArguments(args, new HashSet<string> { "storage" }, new HashSet<string>());
        if (parsed.Positionals is not ["import", var path])
        {
            throw new UsageException($"expected: {command} import <file> --storage <connection string>");
        }

        var storage = parsed.Value("storage") ?? throw new UsageException("--storage <connection string> is required");
        var (rows, skipped) = read(path);

        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["AlertStorage"] = storage }).Build();
        await using var services = new ServiceCollection().AddAlertPipeline(configuration).BuildServiceProvider();
        var upsert = tableUpsert(services) ?? throw new UsageException("--storage did not configure Table storage");
        foreach (var row in rows)
        {
            await upsert(row, cancellationToken).ConfigureAwait(false);
        }

        await stdout.WriteLineAsync($"imported {rows.Count} {rowsName}, skipped {skipped}").ConfigureAwait(false);
        return skipped == 0 ? 0 : 1;
    }
}
