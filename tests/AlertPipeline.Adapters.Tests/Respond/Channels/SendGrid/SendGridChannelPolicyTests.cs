using System.Text.Json;
using AlertPipeline.Adapters.Respond.Channels.SendGrid;
using AlertPipeline.Core.Enrich;
using AlertPipeline.Core.Respond;
using AlertPipeline.Core.Detect;
using AlertPipeline.Core.Respond.Channels;
using AlertPipeline.Core.Respond.Incidents;
using AlertPipeline.Core.Respond.Policy;
using WireMock.Server;
using MockRequest = WireMock.RequestBuilders.Request;
using MockResponse = WireMock.ResponseBuilders.Response;

namespace AlertPipeline.Adapters.Tests.Respond.Channels.SendGrid;

/// <summary>Recipients and template come from the response policy entry matching the alert's sandbox.</summary>
public sealed class SendGridChannelPolicyTests : IDisposable
{
    private const string Template = "d-0123456789abcdef0123456789abcdef";
    private readonly WireMockServer _server = WireMockServer.Start();
    private readonly HttpClient _http = new();
    private readonly InMemoryResponsePolicyStore _policies = new();

    public SendGridChannelPolicyTests()
        => _server.Given(MockRequest.Create().WithPath("/v3/mail/send").UsingPost()).RespondWith(MockResponse.Create().WithStatusCode(202));

    public void Dispose()
    {
        _http.Dispose();
        _server.Stop();
        _server.Dispose();
    }

    private SendGridChannel Channel(string team, IIncidentStore? incidents = null) => new(_http, new SendGridChannelOptions
    {
        ApiKey = "SG.test-key-not-a-secret",
        From = "alerts@example.com",
        To = "oncall@example.com",
        Host = _server.Url!,
    })
    {
        Owners = new SandboxSnapshotProvider(
            new InMemorySandboxInventory([new SandboxRecord { Id = "sbx-gpu-042", OwnerEmail = "owner@example.com", Team = team, Environment = "prod" }]),
            TimeSpan.FromMinutes(1)),
        Policies = new ResponsePolicyProvider(_policies, ResponsePolicy.Default, TimeSpan.FromMinutes(1)),
        Incidents = incidents,
    };

    private async Task<JsonElement> SendAsync(SendGridChannel channel, Alert? alert = null)
    {
        Assert.Equal(ActionStatus.Sent, (await channel.SendAsync(alert ?? ChannelTestAlerts.Fixed(), CancellationToken.None)).Status);
        using var body = JsonDocument.Parse(Assert.Single(_server.LogEntries).RequestMessage.Body!);
        return body.RootElement.Clone();
    }

    private static List<string?> To(JsonElement root)
        => [.. root.GetProperty("personalizations")[0].GetProperty("to").EnumerateArray().Select(t => t.GetProperty("email").GetString())];

    [Fact]
    public async Task The_matching_entry_gives_recipients_and_template_and_the_owner_is_added()
    {
        await _policies.PutAsync(new ResponsePolicyEntry
        {
            Id = "research", Level = "critical", Team = "research", Channels = ["email"],
            Recipients = ["research-oncall@example.com"], TemplateId = Template,
        }, CancellationToken.None);

        var root = await SendAsync(Channel("research"));

        Assert.Equal(["research-oncall@example.com", "owner@example.com"], To(root));
        Assert.Equal(Template, root.GetProperty("template_id").GetString());
        Assert.False(root.TryGetProperty("content", out _));
    }

    [Fact]
    public async Task Without_a_matching_entry_the_configured_recipients_and_parts_are_used()
    {
        await _policies.PutAsync(new ResponsePolicyEntry
        {
            Id = "research", Level = "critical", Team = "research", Channels = ["email"], Recipients = ["research-oncall@example.com"], TemplateId = Template,
        }, CancellationToken.None);

        var root = await SendAsync(Channel("evals"));

        Assert.Equal(["oncall@example.com", "owner@example.com"], To(root));
        Assert.False(root.TryGetProperty("template_id", out _));
        Assert.Equal(2, root.GetProperty("content").GetArrayLength());
    }

    [Fact]
    public async Task An_entry_without_recipients_keeps_the_configured_ones()
    {
        await _policies.PutAsync(new ResponsePolicyEntry { Id = "research", Level = "critical", Team = "research", Channels = ["email"] }, CancellationToken.None);

        Assert.Equal(["oncall@example.com", "owner@example.com"], To(await SendAsync(Channel("research"))));
    }

    [Fact]
    public async Task A_high_alert_of_a_critical_incident_goes_to_the_critical_entry_s_recipients()
    {
        await _policies.PutAsync(new ResponsePolicyEntry
        {
            Id = "research-critical", Level = "critical", Team = "research", Channels = ["email"], Recipients = ["research-oncall@example.com"],
        }, CancellationToken.None);
        var alert = ChannelTestAlerts.Fixed();
        alert.Level = AlertLevel.High;
        var incidents = new InMemoryIncidentStore();
        var incident = new Incident { IncidentId = IncidentIds.For(alert.SandboxId, 1), SandboxId = alert.SandboxId, Sequence = 1, Level = AlertLevel.Critical };
        Assert.True(await incidents.TryAddAsync(incident, CancellationToken.None));

        // Alone, the high alert matches no critical entry; inside the combination-critical incident it does, as its shutdown would.
        Assert.Equal(["oncall@example.com", "owner@example.com"], To(await SendAsync(Channel("research", incidents), alert)));
        _server.ResetLogEntries();
        alert.IncidentId = incident.IncidentId;

        Assert.Equal(["research-oncall@example.com", "owner@example.com"], To(await SendAsync(Channel("research", incidents), alert)));
    }
}
