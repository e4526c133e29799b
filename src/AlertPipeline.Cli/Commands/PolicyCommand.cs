using AlertPipeline.Adapters;
using AlertPipeline.Core.Respond;
using AlertPipeline.Core.Respond.Policy;
using Microsoft.Extensions.DependencyInjection;

namespace AlertPipeline.Cli.Commands;

/// <summary><c>alertpipe policy list|push</c>: show the response policy in Table <c>responsepolicy</c>, or write entries from a file.</summary>
internal sealed class PolicyCommand(TextWriter stdout, TextWriter stderr)
{
    public const string Usage = """
        usage: alertpipe policy list --storage <connection string|https table URL>
               alertpipe policy push <file> --storage <connection string|https table URL>

        push writes every entry of <file> (a JSON array of entries, docs/response-policy.md) to Table 'responsepolicy',
        replacing entries of the same id; entries not in the file are kept. The whole file is checked first: if any
        entry is invalid, each problem is reported and nothing is written.
        Exit 0 when done, 1 when the file has invalid entries, 2 for bad arguments or an unreadable file.
        """;

    public async Task<int> RunAsync(IReadOnlyList<string> args, CancellationToken cancellationToken)
    {
        var parsed = new CliArguments(args, new HashSet<string> { "storage" }, new HashSet<string>());
        return parsed.Positionals switch
        {
            ["list"] => await ListAsync(parsed, cancellationToken).ConfigureAwait(false),
            ["push", var path] => await PushAsync(path, parsed, cancellationToken).ConfigureAwait(false),
            _ => throw new UsageException("expected: policy list, or policy push <file>"),
        };
    }

    private async Task<int> PushAsync(string path, CliArguments parsed, CancellationToken cancellationToken)
    {
        byte[] bytes;
        try
        {
            bytes = await File.ReadAllBytesAsync(path, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new UsageException($"cannot read {path}: {ex.Message}");
        }

        var (entries, problems) = ResponsePolicyJson.ReadFile(bytes);
        if (problems.Count > 0)
        {
            foreach (var problem in problems)
            {
                await stderr.WriteLineAsync($"{path}: {problem}").ConfigureAwait(false);
            }

            await stdout.WriteLineAsync($"pushed 0 entries: {problems.Count} problems").ConfigureAwait(false);
            return 1;
        }

        await using var services = BuildServices(parsed);
        var store = services.GetRequiredService<IResponsePolicyStore>();
        foreach (var entry in entries)
        {
            await store.PutAsync(entry, cancellationToken).ConfigureAwait(false);
        }

        await stdout.WriteLineAsync($"pushed {entries.Count} entries").ConfigureAwait(false);
        return 0;
    }

    private async Task<int> ListAsync(CliArguments parsed, CancellationToken cancellationToken)
    {
        await using var services = BuildServices(parsed);
        var entries = await services.GetRequiredService<IResponsePolicyStore>().ListAsync(cancellationToken).ConfigureAwait(false);
        await stdout.WriteLineAsync($"{"ID",-28} {"LEVEL",-9} {"RULE",-20} {"TEAM",-12} {"ENV",-10} {"SHUTDOWN",-9} {"CHANNELS",-20} RECIPIENTS").ConfigureAwait(false);
        foreach (var e in entries)
        {
            // Rows can be edited by hand in the table: print them cleaned, and say which are not in force.
            await stdout.WriteLineAsync(
                $"{C(e.Id),-28} {C(e.Level),-9} {C(e.RuleId ?? "*"),-20} {C(e.Team ?? "*"),-12} {C(e.Environment ?? "*"),-10} {C(e.Shutdown ?? "automatic"),-9} " +
                $"{C(e.Channels.Count == 0 ? "(record only)" : string.Join(',', e.Channels)),-20} {C(e.Recipients.Count == 0 ? "(configured)" : string.Join(',', e.Recipients))}").ConfigureAwait(false);
            foreach (var problem in ResponsePolicy.Validate(e))
            {
                await stdout.WriteLineAsync($"  invalid: {problem}").ConfigureAwait(false);
            }
        }

        return 0;
    }

    private static string C(string text) => SafeText.Clean(text, 200);

    private static ServiceProvider BuildServices(CliArguments parsed)
    {
        var storage = parsed.Value("storage") ?? throw new UsageException("--storage <connection string> is required");
        return new ServiceCollection().AddAlertPipeline(RulesCommand.StorageConfiguration(storage)).BuildServiceProvider();
    }
}
