using System.Text;
using System.Text.Json.Nodes;
using AlertPipeline.Adapters;
using AlertPipeline.Adapters.Storage;
using AlertPipeline.Adapters.Tests.Composition;
using AlertPipeline.Adapters.Tests.Storage;
using AlertPipeline.Cli.Commands;
using AlertPipeline.Core.Detect;
using AlertPipeline.Core.Enrich;
using AlertPipeline.Core.Events;
using AlertPipeline.Core.Pipeline;
using AlertPipeline.Core.Respond;
using AlertPipeline.Core.Respond.Audit;
using AlertPipeline.Core.Respond.Outbox;
using AlertPipeline.Core.Respond.Shutdown;
using Azure.Storage.Queues;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace AlertPipeline.Cli.Tests.Controller;

/// <summary>
/// The containment path end to end on Azurite: a critical alert issues a signed command, <c>alertpipe controller</c>
/// verifies it and runs a hook that writes a marker file, and the outcome comes back onto the alert. Forged, expired
/// and replayed commands are rejected with their reasons and run nothing.
/// </summary>
public sealed class ControllerEndToEndTests : IClassFixture<AzuriteFixture>, IDisposable
{
    private const string SigningKey = "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=";
    private const string ResultKey = "cmVzdWx0LWtleS1vZi1ob3N0LWEtMDEyMzQ1Njc4OWFi";
    private const string OtherHostKey = "cmVzdWx0LWtleS1vZi1ob3N0LWItMDEyMzQ1Njc4OWFi";
    private const string RuleId = "0b9f6c1a-4c55-4d43-9d1b-7c1e5a521f10";
    private readonly AzuriteFixture _azurite;
    private readonly string _commandQueue = AzuriteFixture.UniqueQueueName("cmd");
    private readonly string _resultsQueue = AzuriteFixture.UniqueQueueName("res");
    private readonly string _sandboxId = "sbx-" + Guid.NewGuid().ToString("N")[..8];
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("alertpipe-controller-");

    public ControllerEndToEndTests(AzuriteFixture azurite) => _azurite = azurite;

    public void Dispose() => _dir.Delete(recursive: true);

    [Fact]
    public async Task A_critical_alert_is_contained_by_the_controller_and_forged_expired_and_replayed_commands_are_not()
    {
        await using var provider = Compose();
        var alertId = await RaiseCriticalAlertAsync(provider);
        await DrainNotificationsAsync(provider, alertId);

        var shutdown = (await provider.GetRequiredService<IAlertStore>().GetAsync(alertId, CancellationToken.None))!.ActionFor("shutdown")!;
        Assert.Equal(ActionStatus.Sent, shutdown.Status);
        var commands = new QueueClient(_azurite.ConnectionString, _commandQueue, new QueueClientOptions { MessageEncoding = QueueMessageEncoding.Base64 });
        var genuine = Assert.Single((await commands.PeekMessagesAsync(10)).Value).Body.ToString();

        // The controller takes the genuine command and runs the hook.
        var first = await RunControllerAsync();
        Assert.Equal(0, first.Code);
        Assert.True(File.Exists(Marker(_sandboxId)), first.Log);

        // Now a forgery (another sandbox under the genuine signature), a command signed with the wrong key,
        // an expired command, and the genuine message again.
        var signer = new CommandSigner(SigningKey, "k1");
        var forged = JsonNode.Parse(genuine)!;
        forged["sandboxId"] = "sbx-victim";
        var wrongKey = new CommandSigner(Convert.ToBase64String(new byte[32]), "k1").Sign(Command("sbx-other", DateTimeOffset.UtcNow.AddMinutes(5)));
        var expired = signer.Sign(Command("sbx-late", DateTimeOffset.UtcNow.AddSeconds(-1)));
        await commands.SendMessageAsync(forged.ToJsonString());
        await commands.SendMessageAsync(CommandSigner.ToJson(wrongKey));
        await commands.SendMessageAsync(CommandSigner.ToJson(expired));
        await commands.SendMessageAsync(genuine);
        File.Delete(Marker(_sandboxId));

        var second = await RunControllerAsync();

        Assert.Equal(0, second.Code);
        Assert.Empty(_dir.GetFiles("*.stopped"));
        Assert.Contains("rejected command", second.Log, StringComparison.Ordinal);
        var outcomes = await ReadResultsAsync();
        Assert.Equal(5, outcomes.Count);
        Assert.Equal(("done", _sandboxId), (outcomes[0].Status, outcomes[0].SandboxId));
        Assert.Equal(
            [("rejected", "bad signature"), ("rejected", "bad signature"), ("rejected", "expired"), ("rejected", "replayed: nonce or command already executed")],
            outcomes.Skip(1).Select(o => (o.Status, o.Detail)));

        Assert.All(outcomes, o => Assert.Equal("host-a", o.KeyId));
        Assert.All(outcomes, o => Assert.False(string.IsNullOrEmpty(o.Signature)));
        Assert.Equal([false, true, true, true, false], outcomes.Select(o => string.IsNullOrEmpty(o.Nonce)));

        // The pipeline records the signed answer to its command on the alert, and refuses (and audits) everything else:
        // the controller's report of the forged command (it answers no nonce we issued), its report of the replay (the
        // first outcome stands), a result whose text was changed after signing, an unsigned one, one signed by a key the
        // pipeline does not know, and one signed by a known host for a nonce the pipeline never issued.
        var recorder = provider.GetRequiredService<CommandOutcomeRecorder>();
        var hostB = new OutcomeSigner(new Dictionary<string, string> { ["host-b"] = OtherHostKey }, "host-b");
        var stranger = new OutcomeSigner(new Dictionary<string, string> { ["host-z"] = Convert.ToBase64String(new byte[32]) }, "host-z");
        Assert.True(await recorder.RecordAsync(outcomes[0], CancellationToken.None));
        Assert.False(await recorder.RecordAsync(outcomes[1], CancellationToken.None));
        Assert.False(await recorder.RecordAsync(outcomes[4], CancellationToken.None));
        Assert.False(await recorder.RecordAsync(outcomes[0] with { Status = "failed", Detail = "hook exit 1" }, CancellationToken.None));
        Assert.False(await recorder.RecordAsync(outcomes[0] with { Signature = string.Empty, KeyId = string.Empty, At = outcomes[0].At.AddSeconds(1) }, CancellationToken.None));
        Assert.False(await recorder.RecordAsync(stranger.Sign(outcomes[0] with { Status = "failed" }), CancellationToken.None));
        Assert.False(await recorder.RecordAsync(hostB.Sign(outcomes[0] with { Nonce = "guessed", Status = "failed" }), CancellationToken.None));
        Assert.False(await recorder.RecordAsync(outcomes[2] with { AlertId = alertId }, CancellationToken.None));
        var recorded = (await provider.GetRequiredService<IAlertStore>().GetAsync(alertId, CancellationToken.None))!.ActionFor("shutdown")!;
        Assert.StartsWith("done: hook exit 0", recorded.Outcome, StringComparison.Ordinal);

        // The audit trail of the alert, from the Table: the command, the host's outcome, and each refusal with its reason.
        var audit = await provider.GetRequiredService<IAuditLog>().ListByAlertAsync(alertId, 100, CancellationToken.None);
        var command = Assert.Single(audit, e => e.Kind == AuditKind.Command);
        Assert.Equal(("shutdown", "sent", "pipeline", _sandboxId), (command.Action, command.Outcome, command.Actor, command.SandboxId));
        var done = Assert.Single(audit, e => e.Kind == AuditKind.ControllerOutcome && e.Outcome == "done");
        Assert.Equal(("controller:host-a", _sandboxId), (done.Actor, done.SandboxId));
        var refused = audit.Where(e => e.Outcome == "refused").Select(e => e.Detail!.Split(';')[0]).Order(StringComparer.Ordinal).ToList();
        Assert.Equal(
            ["answers no command the pipeline issued (nonce differs)", "answers no command the pipeline issued (nonce differs)",
             "bad result signature", "bad result signature", "unknown result key", "unsigned result"],
            refused);
        Assert.Single(audit, e => e.Kind == AuditKind.ControllerOutcome && e.Outcome == "rejected" && e.Detail!.Contains("earlier outcome stands", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData(null, "host-a", "Controller__ResultKey is not set")]
    [InlineData(ResultKey, null, "Controller__ResultKeyId is not set")]
    [InlineData("c2hvcnQ=", "host-a", "at least 32 bytes")]
    public async Task The_controller_will_not_start_without_a_result_key_to_sign_with(string? key, string? keyId, string message)
    {
        var environment = new Dictionary<string, string?>
        {
            ["Shutdown__SigningKey"] = SigningKey,
            ["Controller__ResultKey"] = key,
            ["Controller__ResultKeyId"] = keyId,
            ["AlertStorage"] = _azurite.ConnectionString,
        };

        var error = await Assert.ThrowsAsync<UsageException>(() => new ControllerCommand(TextWriter.Null, TextWriter.Null, environment).RunAsync(
            ["--hook", "true", "--queue", _commandQueue, "--results", _resultsQueue, "--once"], CancellationToken.None));

        Assert.Contains(message, error.Message, StringComparison.Ordinal);
    }

    private string Marker(string sandboxId) => Path.Combine(_dir.FullName, sandboxId + ".stopped");

    private ShutdownCommand Command(string sandboxId, DateTimeOffset expiresAt) => new()
    {
        CommandId = ShutdownChannel.CommandIdFor("alert-" + sandboxId),
        SandboxId = sandboxId,
        AlertId = "alert-" + sandboxId,
        RuleId = RuleId,
        Reason = "test",
        IssuedAt = expiresAt.AddMinutes(-10),
        ExpiresAt = expiresAt,
    };

    private async Task<(int Code, string Log)> RunControllerAsync()
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var environment = new Dictionary<string, string?>
        {
            ["Shutdown__SigningKey"] = SigningKey,
            ["Shutdown__KeyId"] = "k1",
            ["Controller__ResultKey"] = ResultKey,
            ["Controller__ResultKeyId"] = "host-a",
            ["AlertStorage"] = _azurite.ConnectionString,
        };
        var code = await new ControllerCommand(stdout, stderr, environment).RunAsync(
            ["--hook", $"touch \"{_dir.FullName}/{{sandboxId}}.stopped\"", "--queue", _commandQueue, "--results", _resultsQueue,
             "--state", Path.Combine(_dir.FullName, "controller.state"), "--once"],
            CancellationToken.None);
        return (code, stdout.ToString() + stderr.ToString());
    }

    private async Task<List<CommandOutcome>> ReadResultsAsync()
    {
        var results = new QueueClient(_azurite.ConnectionString, _resultsQueue, new QueueClientOptions { MessageEncoding = QueueMessageEncoding.Base64 });
        var list = new List<CommandOutcome>();
        for (var messages = (await results.ReceiveMessagesAsync(32)).Value; messages.Length > 0; messages = (await results.ReceiveMessagesAsync(32)).Value)
        {
            foreach (var message in messages)
            {
                list.Add(CommandOutcome.TryParse(message.Body.ToString())!);
                await results.DeleteMessageAsync(message.MessageId, message.PopReceipt);
            }
        }

        return list;
    }

    private ServiceProvider Compose()
    {
        var settings = new Dictionary<string, string?>
        {
            [StorageNames.Setting] = _azurite.ConnectionString,
            ["Shutdown:SigningKey"] = SigningKey,
            ["Shutdown:KeyId"] = "k1",
            ["Shutdown:DefaultQueue"] = _commandQueue,
            ["Controller:ResultKeys:host-a"] = ResultKey,
            ["Controller:ResultKeys:host-b"] = OtherHostKey,
        };
        var services = new ServiceCollection();
        services.AddSingleton<ISandboxInventory>(new InMemorySandboxInventory([new SandboxRecord { Id = _sandboxId, Team = "rl" }]));
        services.AddAlertPipeline(new ConfigurationBuilder().AddInMemoryCollection(settings).Build());
        return services.BuildServiceProvider();
    }

    private async Task<string> RaiseCriticalAlertAsync(ServiceProvider provider)
    {
        await provider.GetRequiredService<IRuleStore>().UpsertAsync(
            MinerRule.Record("controller-e2e", RuleId),
            CancellationToken.None);
        var body = $$$"""{"@timestamp":"{{{DateTimeOffset.UtcNow:O}}}","event":{"category":"process","type":"start"},"sandbox":{"id":"{{{_sandboxId}}}"},"process":{"name":"xmrig","pid":7}}""";
        var result = await provider.GetRequiredService<TelemetryPipeline>().ProcessAsync(
            [new TelemetryMessage(Encoding.UTF8.GetBytes(body), "sandbox-telemetry/0", 42, DateTimeOffset.UtcNow)], CancellationToken.None);
        return Assert.Single(result.Alerts, a => a.RuleId == RuleId).AlertId;
    }

    // What DispatchNotification does, for this test's alert; other alerts' messages are earlier tests' leftovers.
    private static async Task DrainNotificationsAsync(ServiceProvider provider, string alertId)
    {
        var queue = provider.GetRequiredService<QueueServiceClient>().GetQueueClient(StorageNames.NotificationQueue);
        var dispatcher = provider.GetRequiredService<NotificationDispatcher>();
        for (var messages = (await queue.ReceiveMessagesAsync(32)).Value; messages.Length > 0; messages = (await queue.ReceiveMessagesAsync(32)).Value)
        {
            foreach (var received in messages)
            {
                if (NotificationMessage.TryParse(received.Body.ToString(), out _) is { } message && message.AlertId == alertId)
                {
                    await dispatcher.DispatchAsync(message, CancellationToken.None);
                }

                await queue.DeleteMessageAsync(received.MessageId, received.PopReceipt);
            }
        }
    }
}
