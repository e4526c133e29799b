using AlertPipeline.Adapters;
using AlertPipeline.Adapters.Enrich;
using AlertPipeline.Cli.Replay;
using AlertPipeline.Core.Enrich;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace AlertPipeline.Cli.Commands;

/// <summary><c>alertpipe indicators import</c>: loads an indicator file into Table <c>indicators</c>.</summary>
internal sealed class IndicatorsCommand(TextWriter stdout, TextWriter stderr)
{
    public const string Usage = """
        usage: alertpipe indicators import <file> --storage <connection string>

        Writes every valid indicator of <file> (a JSON array or CSV with a header, see docs/indicators.md) to Table
        'indicators', replacing rows of the same source and value. Invalid rows are reported as <file>:<line> and skipped.
        Exit 0 when every row was imported, 1 when some were skipped, 2 for bad arguments or an unreadable file.
        """;

    public async Task<int> RunAsync(IReadOnlyList<string> args, CancellationToken cancellationToken)
    {
        var parsed = new CliArguments(args, new HashSet<string> { "storage" }, new HashSet<string>());
        if (parsed.Positionals is not ["import", var path])
        {
            throw new UsageException("expected: indicators import <file> --storage <connection string>");
        }

        var storage = parsed.Value("storage") ?? throw new UsageException("--storage <connection string> is required");
        var indicators = IndicatorsFile.Read(path, stderr, out var skipped);

        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["AlertStorage"] = storage }).Build();
        await using var services = new ServiceCollection().AddAlertPipeline(configuration).BuildServiceProvider();
        if (services.GetRequiredService<IIndicatorStore>() is not TableIndicatorStore table)
        {
            throw new UsageException("--storage did not configure Table storage");
        }

        foreach (var indicator in indicators)
        {
            await table.UpsertAsync(indicator, cancellationToken).ConfigureAwait(false);
        }

        await stdout.WriteLineAsync($"imported {indicators.Count} indicators, skipped {skipped}").ConfigureAwait(false);
        return skipped == 0 ? 0 : 1;
    }
}
