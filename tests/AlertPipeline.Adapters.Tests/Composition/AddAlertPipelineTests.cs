using System.Text;
using System.Text.Json.Nodes;
using System.Web;
using AlertPipeline.Adapters.Detect;
using AlertPipeline.Adapters.Enrich;
using AlertPipeline.Adapters.Ingest;
using AlertPipeline.Adapters.Respond;
using AlertPipeline.Adapters.Respond.Channels.SendGrid;
using AlertPipeline.Adapters.Respond.Channels.Teams;
using AlertPipeline.Adapters.Respond.Outbox;
using AlertPipeline.Adapters.Storage;
using AlertPipeline.Adapters.Tests.Storage;
using AlertPipeline.Core.Detect;
using AlertPipeline.Core.Detect.Management;
using AlertPipeline.Core.Enrich;
using AlertPipeline.Core.Events;
using AlertPipeline.Core.Ingest;
using AlertPipeline.Core.Pipeline;
using AlertPipeline.Core.Respond;
using AlertPipeline.Core.Respond.Approvals;
using AlertPipeline.Core.Respond.Channels;
using AlertPipeline.Core.Respond.Outbox;
using AlertPipeline.Core.Respond.Shutdown;
using Azure.Storage.Queues;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using WireMock.Server;
using MockRequest = WireMock.RequestBuilders.Request;
using MockResponse = WireMock.ResponseBuilders.Response;

namespace AlertPipeline.Adapters.Tests.Composition;

/// <summary>
/// The one composition, configured as in Azure: Table and Queue storage on Azurite, SendGrid and Teams on a loopback
/// HTTP server. An event goes in; the alert, the email, the card and the signed command come out, once.
/// </summary>
[Collection(AzuriteCollection.Name)]
public sealed class AddAlertPipelineTests(AzuriteFixture azurite) : IDisposable
{
    private const string SigningKey = "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=";
    private const string RuleId = "7c1e5a52-1d1b-4c55-9d43-0d5c6b1e2f10";
    private readonly WireMockServer _http = WireMockServer.Start();

    public void Dispose()
    {
        _http.Stop();
        _http.Dispose();
    }

    private ServiceProvider Compose(Dictionary<string, string?> settings)
    {
        var services = new ServiceCollection();
        services.AddAlertPipeline(new ConfigurationBuilder().AddInMemoryCollection(settings).Build());
        return services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true });
    }

    private Dictionary<string, string?> AzureLikeSettings(string commandQueue) => new()
    {
        [StorageNames.Setting] = azurite.ConnectionString,
        ["Channels:Email:ApiKey"] = "SG.test-key-not-a-secret",
        ["Channels:Email:From"] = "alerts@example.com",
        ["Channels:Email:To"] = "oncall@example.com",
        ["Channels:Email:Host"] = _http.Url,
        ["Channels:Teams:WebhookUrl"] = _http.Url + "/workflows/alerts?sig=not-a-secret",
        ["Shutdown:SigningKey"] = SigningKey,
        ["Shutdown:KeyId"] = "k1",
        ["Shutdown:DefaultQueue"] = commandQueue,
        ["Responder:RetryBaseDelay"] = "00:00:01",
    };

    [Fact]
    public void Without_settings_everything_is_in_memory_and_no_channel_is_registered()
    {
        using var provider = Compose([]);

        Assert.IsType<InMemoryRuleStore>(provider.GetRequiredService<IRuleStore>());
        Assert.IsType<InMemoryRuleHistory>(provider.GetRequiredService<IRuleHistory>());
        Assert.NotNull(provider.GetRequiredService<RuleManager>());
        Assert.IsType<InMemoryAlertStore>(provider.GetRequiredService<IAlertStore>());
        Assert.IsType<InMemoryDeadLetterStore>(provider.GetRequiredService<IDeadLetterStore>());
        Assert.IsType<AlertPipeline.Core.Detect.Heartbeat.InMemorySandboxActivityStore>(provider.GetRequiredService<AlertPipeline.Core.Detect.Heartbeat.ISandboxActivityStore>());
        Assert.IsType<AlertPipeline.Core.Enrich.Attribution.InMemoryLineageStore>(provider.GetRequiredService<AlertPipeline.Core.Enrich.Attribution.ILineageStore>());
        Assert.NotNull(provider.GetRequiredService<AlertPipeline.Core.Detect.Heartbeat.HeartbeatCheck>());
        Assert.IsType<InMemoryShutdownCommandQueue>(provider.GetRequiredService<IShutdownCommandQueue>());
        Assert.IsType<InlineNotificationOutbox>(provider.GetRequiredService<INotificationOutbox>());
        Assert.IsType<InMemoryNotificationPoisonStore>(provider.GetRequiredService<INotificationPoisonStore>());
        Assert.Empty(provider.GetServices<INotificationChannel>());
    }

    [Fact]
    public async Task The_documented_setting_names_configure_SendGrid_with_its_base_url_and_Teams()
    {
        _http.Given(MockRequest.Create().WithPath("/v3/mail/send").UsingPost()).RespondWith(MockResponse.Create().WithStatusCode(202));
        using var provider = Compose(new Dictionary<string, string?>
        {
            ["SendGrid:ApiKey"] = "SG.test-key-not-a-secret",
            ["SendGrid:BaseUrl"] = _http.Url, // e.g. https://api.eu.sendgrid.com for the EU region
            ["Notifications:From"] = "alerts@example.com",
            ["Notifications:To"] = "oncall@example.com",
            ["Teams:WebhookUrl"] = _http.Url + "/workflows/alerts?sig=not-a-secret",
        });

        var channels = provider.GetServices<INotificationChannel>().ToDictionary(c => c.Name);
        var result = await channels["email"].SendAsync(new Alert
        {
            AlertId = "a1", RuleId = "r1", RulePack = "p", Title = "t", Level = AlertLevel.High, SandboxId = "sbx",
        }, CancellationToken.None);

        Assert.IsType<TeamsChannel>(channels["teams"]);
        Assert.Equal(ActionStatus.Sent, result.Status);
        Assert.Single(_http.LogEntries, e => e.RequestMessage.Path == "/v3/mail/send");
    }

    [Fact]
    public void Storage_and_channel_settings_select_the_azure_edges()
    {
        using var provider = Compose(AzureLikeSettings("unused"));

        Assert.IsType<TableRuleStore>(provider.GetRequiredService<IRuleStore>());
        Assert.IsType<TableRuleHistory>(provider.GetRequiredService<IRuleHistory>());
        Assert.IsType<TableAlertStore>(provider.GetRequiredService<IAlertStore>());
        Assert.IsType<TableDeadLetterStore>(provider.GetRequiredService<IDeadLetterStore>());
        Assert.IsType<AlertPipeline.Adapters.Detect.TableSandboxActivityStore>(provider.GetRequiredService<AlertPipeline.Core.Detect.Heartbeat.ISandboxActivityStore>());
        Assert.IsType<AlertPipeline.Adapters.Enrich.TableLineageStore>(provider.GetRequiredService<AlertPipeline.Core.Enrich.Attribution.ILineageStore>());
        Assert.IsType<TableSandboxInventory>(provider.GetRequiredService<ISandboxInventory>());
        Assert.IsType<QueueShutdownCommandQueue>(provider.GetRequiredService<IShutdownCommandQueue>());
        Assert.IsType<QueueNotificationOutbox>(provider.GetRequiredService<INotificationOutbox>());
        Assert.IsType<TableNotificationPoisonStore>(provider.GetRequiredService<INotificationPoisonStore>());
        var channels = provider.GetServices<INotificationChannel>().ToDictionary(c => c.Name);
        Assert.IsType<SendGridChannel>(channels["email"]);
        Assert.IsType<TeamsChannel>(channels["teams"]);
        Assert.IsType<ShutdownChannel>(channels["shutdown"]);
    }

    [Fact]
    public async Task An_event_becomes_one_stored_alert_one_email_one_card_and_one_signed_command_even_when_redelivered()
    {
        _http.Given(MockRequest.Create().WithPath("/v3/mail/send").UsingPost())
            .RespondWith(MockResponse.Create().WithStatusCode(202).WithHeader("X-Message-Id", "m-1"));
        _http.Given(MockRequest.Create().WithPath("/workflows/alerts").UsingPost())
            .RespondWith(MockResponse.Create().WithStatusCode(202));
        var commandQueue = AzuriteFixture.UniqueQueueName("cmd");
        using var provider = Compose(AzureLikeSettings(commandQueue));
        var (pipeline, batch) = await MinerBatchAsync(provider);

        var first = await pipeline.ProcessAsync(batch, CancellationToken.None);
        var raised = Assert.Single(first.Alerts);
        Assert.All(raised.Actions, a => Assert.Equal(ActionStatus.Pending, a.Status)); // committed, then queued
        await pipeline.ProcessAsync(batch, CancellationToken.None); // at-least-once: the host may deliver it again
        await DrainNotificationsAsync(provider, raised.AlertId);

        var stored = await provider.GetRequiredService<IAlertStore>().GetAsync(raised.AlertId, CancellationToken.None);
        Assert.NotNull(stored);
        Assert.Equal(1, stored.EventCount);
        Assert.All(["email", "teams", "shutdown"], channel => Assert.Equal(ActionStatus.Sent, stored.ActionFor(channel)!.Status));
        Assert.Single(_http.LogEntries, e => e.RequestMessage.Path == "/v3/mail/send");
        Assert.Single(_http.LogEntries, e => e.RequestMessage.Path == "/workflows/alerts");

        var messages = (await azurite.QueueService.GetQueueClient(commandQueue).ReceiveMessagesAsync(32)).Value;
        var message = Assert.Single(messages);
        var command = provider.GetRequiredService<CommandSigner>().Verify(message.Body.ToString(), out var reason);
        Assert.Equal("ok", reason);
        Assert.Equal(raised.SandboxId, command!.SandboxId);
        Assert.Equal(raised.AlertId, command.AlertId);
    }

    [Fact]
    public async Task A_held_command_is_asked_for_on_a_second_card_whose_signed_link_issues_it_once()
    {
        _http.Given(MockRequest.Create().WithPath("/v3/mail/send").UsingPost()).RespondWith(MockResponse.Create().WithStatusCode(202));
        _http.Given(MockRequest.Create().WithPath("/workflows/alerts").UsingPost()).RespondWith(MockResponse.Create().WithStatusCode(202));
        var commandQueue = AzuriteFixture.UniqueQueueName("cmd");
        var settings = AzureLikeSettings(commandQueue);
        settings["Shutdown:MaxPerHour"] = "0"; // every automatic command is held for a human
        settings["Actions:SigningKey"] = "YWN0aW9uLWxpbmstdGVzdC1rZXktMzItYnl0ZXMtbG9uZyE=";
        settings["Actions:BaseUrl"] = "https://func-alertpipe.example";
        using var provider = Compose(settings);
        var (pipeline, batch) = await MinerBatchAsync(provider);

        var raised = Assert.Single((await pipeline.ProcessAsync(batch, CancellationToken.None)).Alerts);
        await DrainNotificationsAsync(provider, raised.AlertId);

        Assert.IsType<TableActionNonceStore>(provider.GetRequiredService<IActionNonceStore>());
        var held = (await provider.GetRequiredService<IAlertStore>().GetAsync(raised.AlertId, CancellationToken.None))!;
        Assert.Equal(ActionStatus.AwaitingApproval, held.ActionFor("shutdown")!.Status);
        Assert.Equal(ActionStatus.Sent, held.ActionFor(ApprovalRequest.Channel)!.Status);
        Assert.Equal(2, _http.LogEntries.Count(e => e.RequestMessage.Path == "/v3/mail/send"));
        var cards = _http.LogEntries.Where(e => e.RequestMessage.Path == "/workflows/alerts").Select(e => JsonNode.Parse(e.RequestMessage.Body!)!).ToList();
        Assert.Equal(2, cards.Count);
        var approve = Assert.Single(cards.SelectMany(c => c["attachments"]![0]!["content"]!["actions"]!.AsArray()), a => (string?)a!["title"] == "Approve shutdown")!;

        var url = new Uri((string)approve["url"]!);
        var segments = url.AbsolutePath.Split('/');
        var query = HttpUtility.ParseQueryString(url.Query);
        var link = ActionLink.TryRead(segments[^2], segments[^1], n => query[n], out _)!;
        var handler = provider.GetRequiredService<AlertActionHandler>();
        Assert.Equal(ActionLinkStatus.Done, (await handler.ExecuteAsync(link, CancellationToken.None)).Status);
        Assert.Equal(ActionLinkStatus.Gone, (await handler.ExecuteAsync(link, CancellationToken.None)).Status);

        var message = Assert.Single((await azurite.QueueService.GetQueueClient(commandQueue).ReceiveMessagesAsync(32)).Value);
        var command = provider.GetRequiredService<CommandSigner>().Verify(message.Body.ToString(), out var reason);
        Assert.Equal(("ok", raised.AlertId), (reason, command!.AlertId));
        Assert.Equal(ActionStatus.Sent, (await provider.GetRequiredService<IAlertStore>().GetAsync(raised.AlertId, CancellationToken.None))!.ActionFor("shutdown")!.Status);
    }

    [Fact]
    public async Task A_failing_SendGrid_is_recorded_on_the_alert_loses_nothing_else_and_is_retried_on_redelivery()
    {
        _http.Given(MockRequest.Create().WithPath("/v3/mail/send").UsingPost())
            .RespondWith(MockResponse.Create().WithStatusCode(503).WithBody("upstream unavailable"));
        _http.Given(MockRequest.Create().WithPath("/workflows/alerts").UsingPost())
            .RespondWith(MockResponse.Create().WithStatusCode(202));
        using var provider = Compose(AzureLikeSettings(AzuriteFixture.UniqueQueueName("cmd")));
        var (pipeline, batch) = await MinerBatchAsync(provider);

        var raised = Assert.Single((await pipeline.ProcessAsync(batch, CancellationToken.None)).Alerts);
        // First deliveries only: the email's retry (due after Responder:RetryBaseDelay) waits for the redelivery below,
        // however slowly this drain runs.
        await DrainNotificationsAsync(provider, raised.AlertId, m => m.Delivery == 1);
        var first = (await provider.GetRequiredService<IAlertStore>().GetAsync(raised.AlertId, CancellationToken.None))!;

        var email = first.ActionFor("email")!;
        Assert.Equal(ActionStatus.Failed, email.Status);
        Assert.Equal(1, email.Attempts);
        Assert.Contains("503", email.Detail, StringComparison.Ordinal);
        Assert.Equal(ActionStatus.Sent, first.ActionFor("teams")!.Status);
        Assert.Equal(ActionStatus.Sent, first.ActionFor("shutdown")!.Status);
        var stored = await provider.GetRequiredService<IAlertStore>().GetAsync(first.AlertId, CancellationToken.None);
        Assert.Equal(ActionStatus.Failed, stored!.ActionFor("email")!.Status);

        // SendGrid recovers; the host redelivers the batch and the retry comes due: the email goes out once,
        // nothing else is repeated.
        _http.Reset();
        _http.Given(MockRequest.Create().WithPath("/v3/mail/send").UsingPost())
            .RespondWith(MockResponse.Create().WithStatusCode(202));
        await pipeline.ProcessAsync(batch, CancellationToken.None);
        await Task.Delay(TimeSpan.FromSeconds(1.5));
        await DrainNotificationsAsync(provider, raised.AlertId);
        var second = (await provider.GetRequiredService<IAlertStore>().GetAsync(raised.AlertId, CancellationToken.None))!;

        Assert.Equal(ActionStatus.Sent, second.ActionFor("email")!.Status);
        Assert.Equal(2, second.ActionFor("email")!.Attempts);
        Assert.Equal(1, second.EventCount);
        Assert.Single(_http.LogEntries);
    }

    /// <summary>
    /// Does what the <c>DispatchNotification</c> function does for the visible messages of the notification queue that
    /// <paramref name="handle"/> picks (default: all of the alert's): dispatch, queue a retry with its delay, delete.
    /// A message of the alert it does not pick (a retry that came due early on a slow machine) is made visible again
    /// and left for a later drain; the drain stops once a receive brings nothing it handles. Messages of other alerts
    /// are leftovers of earlier tests and are deleted.
    /// </summary>
    private static async Task DrainNotificationsAsync(ServiceProvider provider, string alertId, Func<NotificationMessage, bool>? handle = null)
    {
        var queue = provider.GetRequiredService<QueueServiceClient>().GetQueueClient(StorageNames.NotificationQueue);
        var dispatcher = provider.GetRequiredService<NotificationDispatcher>();
        var outbox = provider.GetRequiredService<INotificationOutbox>();
        for (var progress = true; progress;)
        {
            progress = false;
            foreach (var received in (await queue.ReceiveMessagesAsync(32)).Value)
            {
                var message = NotificationMessage.TryParse(received.Body.ToString(), out _);
                if (message?.AlertId == alertId && handle?.Invoke(message) == false)
                {
                    await queue.UpdateMessageAsync(received.MessageId, received.PopReceipt, visibilityTimeout: TimeSpan.Zero);
                    continue;
                }

                progress = true;
                if (message?.AlertId == alertId)
                {
                    var outcome = await dispatcher.DispatchAsync(message, CancellationToken.None);
                    if (outcome.Kind is DispatchKind.Retry or DispatchKind.Deferred)
                    {
                        await outbox.EnqueueAsync(message with { Delivery = message.Delivery + 1 }, outcome.Delay, CancellationToken.None);
                    }

                    if (outcome.FollowUp is { } followUp)
                    {
                        await outbox.EnqueueAsync(followUp, TimeSpan.Zero, CancellationToken.None);
                    }
                }

                await queue.DeleteMessageAsync(received.MessageId, received.PopReceipt);
            }
        }
    }

    private async Task<(TelemetryPipeline Pipeline, TelemetryMessage[] Batch)> MinerBatchAsync(ServiceProvider provider)
    {
        await provider.GetRequiredService<IRuleStore>().UpsertAsync(
            MinerRule.Record("composition", RuleId),
            CancellationToken.None);
        var sandboxId = "sbx-" + Guid.NewGuid().ToString("N")[..8];
        await ((TableSandboxInventory)provider.GetRequiredService<ISandboxInventory>()).UpsertAsync(
            new SandboxRecord { Id = sandboxId, Team = "rl" }, CancellationToken.None);
        var body = $$$"""{"@timestamp":"2025-11-14T03:14:51Z","event":{"category":"process","type":"start"},"sandbox":{"id":"{{{sandboxId}}}"},"process":{"name":"xmrig","pid":7}}""";
        return (provider.GetRequiredService<TelemetryPipeline>(),
            [new TelemetryMessage(Encoding.UTF8.GetBytes(body), "sandbox-telemetry/0", 42, DateTimeOffset.UnixEpoch)]);
    }
}
