using AlertPipeline.Adapters.Respond.Channels.SendGrid;
using AlertPipeline.Adapters.Respond.Channels.Teams;
using AlertPipeline.Core.Respond;
using AlertPipeline.Core.Respond.Channels;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace AlertPipeline.Adapters.Tests.Respond.Channels;

/// <summary>The registration lines given in docs/channels/*.md compile, bind app settings and resolve.</summary>
public sealed class ChannelRegistrationTests
{
    [Fact]
    public void App_settings_bind_to_the_channel_options()
    {
        var configuration = Configuration(new()
        {
            ["Channels:Email:ApiKey"] = "SG.key",
            ["Channels:Email:From"] = "alerts@example.com",
            ["Channels:Email:To"] = "a@example.com, b@example.com",
            ["Channels:Email:Timeout"] = "00:00:10",
            ["Channels:Teams:WebhookUrl"] = "https://example.invalid/workflows/x?sig=y",
            ["Channels:Teams:Timeout"] = "00:00:05",
        });

        var email = configuration.GetSection(SendGridChannelOptions.Section).Get<SendGridChannelOptions>()!;
        var teams = configuration.GetSection(TeamsChannelOptions.Section).Get<TeamsChannelOptions>()!;

        Assert.True(email.IsConfigured);
        Assert.Equal(["a@example.com", "b@example.com"], email.Recipients());
        Assert.Equal(TimeSpan.FromSeconds(10), email.Timeout);
        Assert.True(teams.IsConfigured);
        Assert.Equal(TimeSpan.FromSeconds(5), teams.Timeout);
    }

    [Fact]
    public async Task Unconfigured_channels_resolve_and_skip()
    {
        var configuration = Configuration([]);
        var services = new ServiceCollection();
        services.AddLogging();

        // The lines from docs/channels/email.md and teams.md.
        var email = configuration.GetSection(SendGridChannelOptions.Section).Get<SendGridChannelOptions>() ?? new SendGridChannelOptions();
        var teams = configuration.GetSection(TeamsChannelOptions.Section).Get<TeamsChannelOptions>() ?? new TeamsChannelOptions();
        services.AddHttpClient(SendGridChannel.HttpClientName).RemoveAllLoggers();
        services.AddHttpClient(TeamsChannel.HttpClientName).RemoveAllLoggers();
        services.AddSingleton<INotificationChannel>(sp => new SendGridChannel(
            sp.GetRequiredService<IHttpClientFactory>(), email, sp.GetRequiredService<ILogger<SendGridChannel>>()));
        services.AddSingleton<INotificationChannel>(sp => new TeamsChannel(
            sp.GetRequiredService<IHttpClientFactory>(), teams, sp.GetRequiredService<ILogger<TeamsChannel>>()));

        await using var provider = services.BuildServiceProvider();
        var channels = provider.GetServices<INotificationChannel>().ToList();

        Assert.Equal(["email", "teams"], channels.Select(c => c.Name));
        foreach (var channel in channels)
        {
            var result = await channel.SendAsync(ChannelTestAlerts.Fixed(), CancellationToken.None);
            Assert.Equal(ActionStatus.Skipped, result.Status);
        }
    }

    private static IConfiguration Configuration(Dictionary<string, string?> values)
        => new ConfigurationBuilder().AddInMemoryCollection(values).Build();
}
