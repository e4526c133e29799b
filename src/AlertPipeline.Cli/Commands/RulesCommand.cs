using AlertPipeline.Adapters;
using AlertPipeline.Adapters.Storage;
using AlertPipeline.Core.Detect;
using AlertPipeline.Core.Detect.Management;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace AlertPipeline.Cli.Commands;

/// <summary><c>alertpipe rules validate|push|list|test|history</c>: check Sigma files, write them to the rule store, list the store, try a rule on telemetry, show a rule's changes.</summary>
internal sealed class RulesCommand(TextWriter stdout, TextWriter stderr)
{
    public const string Usage = """
        usage: alertpipe rules validate <file|dir>... [--output text|json]
               alertpipe rules push <file|dir>... --storage <connection string|https table URL> [--pack <name>] [--mode enforce|dry-run] [--who <name>]
               alertpipe rules list --storage <connection string> [--pack <name>]
               alertpipe rules test <rule.yml> <telemetry file>...
               alertpipe rules history <pack> <id> --storage <connection string> [--max <n>]
        """;

    public async Task<int> RunAsync(IReadOnlyList<string> args, CancellationToken cancellationToken)
    {
        if (args.Count == 0)
        {
            throw new UsageException("rules needs a subcommand: validate, push, list, test or history");
        }

        if (args[0] == "validate")
        {
            return await new RulesValidateCommand(stdout, stderr).RunAsync([.. args.Skip(1)], cancellationToken).ConfigureAwait(false);
        }

        var parsed = new CliArguments(args.Skip(1), new HashSet<string> { "storage", "pack", "mode", "who", "max" }, new HashSet<string>());
        return args[0] switch
        {
            "push" => await PushAsync(parsed, cancellationToken).ConfigureAwait(false),
            "list" => await ListAsync(parsed, cancellationToken).ConfigureAwait(false),
            "test" => await new RuleChangesCommand(stdout, stderr).TestAsync(parsed.Positionals, cancellationToken).ConfigureAwait(false),
            "history" => await HistoryAsync(parsed, cancellationToken).ConfigureAwait(false),
            _ => throw new UsageException($"unknown rules subcommand '{args[0]}'"),
        };
    }

    private async Task<int> PushAsync(CliArguments parsed, CancellationToken cancellationToken)
    {
        // No --mode keeps a stored rule's mode (an operator may have put it in dry-run); new rules enforce.
        RuleMode? mode = null;
        if (parsed.Value("mode") is { } modeText)
        {
            mode = RuleModes.TryParse(modeText, out var parsedMode) ? parsedMode : throw new UsageException($"--mode must be enforce or dry-run, not '{modeText}'");
        }

        var files = LoadFiles(parsed, mode ?? RuleMode.Enforce);
        var valid = await ReportAsync(files).ConfigureAwait(false);
        await using var services = BuildServices(parsed);
        var who = parsed.Value("who") ?? Environment.UserName;
        var summary = await new RuleChangesCommand(stdout, stderr)
            .PushAsync(files, services.GetRequiredService<RuleManager>(), mode, who, cancellationToken).ConfigureAwait(false);

        await stdout.WriteLineAsync(
            $"pushed {summary.Created + summary.Replaced} (created {summary.Created}, replaced {summary.Replaced}), unchanged {summary.Unchanged}, " +
            $"conflicts {summary.Conflicts}, skipped {files.Count - valid + summary.Refused} invalid").ConfigureAwait(false);
        return valid == files.Count && summary.Clean ? 0 : 1;
    }

    private async Task<int> HistoryAsync(CliArguments parsed, CancellationToken cancellationToken)
    {
        await using var services = BuildServices(parsed);
        return await new RuleChangesCommand(stdout, stderr)
            .HistoryAsync(services.GetRequiredService<RuleManager>(), parsed.Positionals, parsed.Value("max"), cancellationToken).ConfigureAwait(false);
    }

    private async Task<int> ListAsync(CliArguments parsed, CancellationToken cancellationToken)
    {
        await using var services = BuildServices(parsed);
        var rules = await services.GetRequiredService<IRuleStore>().ListAsync(parsed.Value("pack"), cancellationToken).ConfigureAwait(false);
        await stdout.WriteLineAsync($"{"PACK",-10} {"ID",-36} {"LEVEL",-9} {"ENABLED",-7} {"MODE",-8} TITLE").ConfigureAwait(false);
        foreach (var rule in rules)
        {
            await stdout.WriteLineAsync($"{rule.Pack,-10} {rule.Id,-36} {rule.Level,-9} {(rule.Enabled ? "yes" : "no"),-7} {rule.Mode.ToText(),-8} {Core.Respond.SafeText.Clean(rule.Title, 80)}").ConfigureAwait(false);
        }

        return 0;
    }

    private static IReadOnlyList<RuleFile> LoadFiles(CliArguments parsed, RuleMode mode)
    {
        if (parsed.Positionals.Count == 0)
        {
            throw new UsageException("give at least one rule file or directory");
        }

        return RulePack.Load(parsed.Positionals, parsed.Value("pack"), mode, TimeProvider.System);
    }

    private async Task<int> ReportAsync(IReadOnlyList<RuleFile> files)
    {
        var valid = 0;
        foreach (var file in files)
        {
            if (file.Error is null)
            {
                valid++;
                continue;
            }

            // path:line:column: the shape editors and CI annotations understand.
            await stderr.WriteLineAsync($"{file.Path}:{file.Error.Line}:{file.Error.Column}: rule {file.Error.RuleId ?? "<no id>"}: {file.Error.Problem}").ConfigureAwait(false);
        }

        return valid;
    }

    private static ServiceProvider BuildServices(CliArguments parsed)
    {
        var storage = parsed.Value("storage") ?? throw new UsageException("--storage <connection string> is required");
        return new ServiceCollection().AddAlertPipeline(StorageConfiguration(storage)).BuildServiceProvider();
    }

    /// <summary>
    /// A connection string, or the https Table service URL of an account without shared keys (the deployed one),
    /// reached with the signed-in identity (Azure CLI, managed identity) like the Function App.
    /// </summary>
    internal static IConfiguration StorageConfiguration(string storage)
    {
        var key = Uri.TryCreate(storage, UriKind.Absolute, out var uri) && uri.Scheme == Uri.UriSchemeHttps
            ? $"{StorageNames.Setting}:{StorageClients.TableServiceUriKey}"
            : StorageNames.Setting;
        return new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { [key] = storage }).Build();
    }
}
