using AlertPipeline.Adapters;
using AlertPipeline.Adapters.Enrich;
using AlertPipeline.Cli.Replay;
using AlertPipeline.Core.Enrich;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace AlertPipeline.Cli.Commands;

/// <summary><c>alertpipe inventory import</c>: loads an inventory file into Table <c>sandboxes</c>.</summary>
internal sealed class InventoryCommand(TextWriter stdout, TextWriter stderr)
{
    public const string Usage = """
        usage: alertpipe inventory import <file> --storage <connection string>

        Writes every valid sandbox of <file> (the inventory JSON of docs/telemetry-schema.md) to Table 'sandboxes',
        replacing rows of the same id. Invalid rows are reported as <file>:<line> and skipped.
        Exit 0 when every row was imported, 1 when some were skipped, 2 for bad arguments or an unreadable file.
        """;

    public async Task<int> RunAsync(IReadOnlyList<string> args, CancellationToken cancellationToken)
    {
        var parsed = new CliArguments(args, new HashSet<string> { "storage" }, new HashSet<string>());
        if (parsed.Positionals is not ["import", var path])
        {
            throw new UsageException("expected: inventory import <file> --storage <connection string>");
        }

        var storage = parsed.Value("storage") ?? throw new UsageException("--storage <connection string> is required");
        var sandboxes = InventoryFile.Read(path, stderr, out var skipped);

        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["AlertStorage"] = storage }).Build();
        await using var services = new ServiceCollection().AddAlertPipeline(configuration).BuildServiceProvider();
        if (services.GetRequiredService<ISandboxInventory>() is not TableSandboxInventory table)
        {
            throw new UsageException("--storage did not configure Table storage");
        }

        foreach (var sandbox in sandboxes)
        {
            await table.UpsertAsync(sandbox, cancellationToken).ConfigureAwait(false);
        }

        await stdout.WriteLineAsync($"imported {sandboxes.Count} sandboxes, skipped {skipped}").ConfigureAwait(false);
        return skipped == 0 ? 0 : 1;
    }
}
