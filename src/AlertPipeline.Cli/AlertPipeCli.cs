using AlertPipeline.Cli.Commands;

namespace AlertPipeline.Cli;

/// <summary>The <c>alertpipe</c> entry point, callable in-process by tests. Exit codes: 0 done, 1 failed, 2 bad arguments or unreadable input.</summary>
internal static class AlertPipeCli
{
    private const string Usage = """
        alertpipe: AI-agent sandbox escape detection tools

        commands:
          replay <file>...        run recorded telemetry through the pipeline and show the alerts
          controller --hook <cmd>  the reference sandbox controller: verify signed commands, run a hook, report
          inventory import        load a sandbox inventory file into Table Storage
          indicators import       load threat indicators (JSON or CSV) into Table Storage
          audit list              the audit trail of an alert or a sandbox (notifications, commands, outcomes)
          incidents list|show|acknowledge|resolve
                                  the incidents (one story per sandbox) and their timelines; move their status
          rules validate|push|list|test|history
                                  check Sigma rules, write them to Table Storage (recorded),
                                  list them, try one on telemetry, show its changes
          policy list|push        show the response policy, or write entries from a JSON file
          ship <file>... | -      follow telemetry files or stdin and send them to an Event Hub
                                  (spooled through outages, positions kept, heartbeats)
          send <file>...          send recorded telemetry to an Event Hub (deployment smoke test)
          tail                    print a hub's events as the pipeline parses them
          deadletter list|replay  show rejected records; resubmit them to their hub after a fix
        run 'alertpipe <command> --help' for details
        """;

    public static async Task<int> RunAsync(IReadOnlyList<string> args, TextWriter stdout, TextWriter stderr, CancellationToken cancellationToken)
    {
        if (args.Count == 0 || args[0] is "--help" or "-h" or "help")
        {
            await stdout.WriteLineAsync(Usage).ConfigureAwait(false);
            return args.Count == 0 ? 2 : 0;
        }

        var rest = args.Skip(1).ToList();
        var (usage, run) = args[0] switch
        {
            "replay" => (ReplayCommand.Usage, (Func<Task<int>>)(() => new ReplayCommand(stdout, stderr).RunAsync(rest, cancellationToken))),
            "controller" => (ControllerCommand.Usage, () => new ControllerCommand(stdout, stderr).RunAsync(rest, cancellationToken)),
            "inventory" => (ImportCommand.InventoryUsage, () => ImportCommand.InventoryAsync(rest, stdout, stderr, cancellationToken)),
            "indicators" => (ImportCommand.IndicatorsUsage, () => ImportCommand.IndicatorsAsync(rest, stdout, stderr, cancellationToken)),
            "audit" => (AuditCommand.Usage, () => new AuditCommand(stdout).RunAsync(rest, cancellationToken)),
            "incidents" => (IncidentsCommand.Usage, () => new IncidentsCommand(stdout, stderr).RunAsync(rest, cancellationToken)),
            "rules" => (rest is ["validate", ..] ? RulesValidateCommand.Usage : RulesCommand.Usage, () => new RulesCommand(stdout, stderr).RunAsync(rest, cancellationToken)),
            "policy" => (PolicyCommand.Usage, () => new PolicyCommand(stdout, stderr).RunAsync(rest, cancellationToken)),
            "ship" => (ShipCommand.Usage, () => new ShipCommand(stderr).RunAsync(rest, cancellationToken)),
            "send" => (SendCommand.Usage, () => new SendCommand(stdout, stderr).RunAsync(rest, cancellationToken)),
            "tail" => (TailCommand.Usage, () => new TailCommand(stdout, stderr).RunAsync(rest, cancellationToken)),
            "deadletter" => (DeadLetterCommand.Usage, () => new DeadLetterCommand(stdout, stderr).RunAsync(rest, cancellationToken)),
            _ => (string.Empty, null!),
        };

        if (run is null)
        {
            await stderr.WriteLineAsync($"alertpipe: unknown command '{args[0]}' (try --help)").ConfigureAwait(false);
            return 2;
        }

        if (rest.Contains("--help") || rest.Contains("-h"))
        {
            await stdout.WriteLineAsync(usage).ConfigureAwait(false);
            return 0;
        }

        try
        {
            return await run().ConfigureAwait(false);
        }
        catch (UsageException ex)
        {
            await stderr.WriteLineAsync($"alertpipe: {ex.Message}").ConfigureAwait(false);
            return 2;
        }
    }
}
