using System.Diagnostics;
using System.Text;
using System.Text.RegularExpressions;
using AlertPipeline.Adapters.Storage;
using Azure.Data.Tables;
using Azure.Storage.Blobs;
using Azure.Storage.Queues;
using Microsoft.Extensions.Configuration;

namespace AlertPipeline.Adapters.Tests.Storage;

/// <summary>
/// One Azurite process (from the repo's npm lockfile) for every storage test: in-memory, on ports the OS picks, killed
/// with its process tree on dispose. Missing or broken Azurite fails the tests loudly; they never skip.
/// </summary>
public sealed partial class AzuriteFixture : IAsyncLifetime
{
    /// <summary>Azurite's well-known development account (public, documented by Microsoft; not a secret).</summary>
    public const string AccountName = "devstoreaccount1";

    /// <summary>Azurite's well-known development key (public, documented by Microsoft; not a secret).</summary>
    public const string AccountKey = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

    // Node starts Azurite in about 2 s; a 2-core machine running several test hosts at once has taken over 30 s.
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(90);

    private readonly StringBuilder _output = new();
    private Process? _process;
    private string? _workspace;

    /// <summary>Connection string to the running Azurite (tables, queues and blobs).</summary>
    public string ConnectionString { get; private set; } = string.Empty;

    /// <summary>Table service client built the way the app builds it (<see cref="StorageClients"/>).</summary>
    public TableServiceClient TableService { get; private set; } = null!;

    /// <summary>Queue service client built the way the app builds it (Base64 messages).</summary>
    public QueueServiceClient QueueService { get; private set; } = null!;

    /// <summary>Blob service client built the way the app builds it.</summary>
    public BlobServiceClient BlobService { get; private set; } = null!;

    /// <summary>A blob container name no other test uses (lowercase letters, digits, hyphens).</summary>
    public static string UniqueContainerName(string prefix) => UniqueQueueName(prefix);

    /// <summary>A table name no other test uses (letters and digits only, as the service requires).</summary>
    public static string UniqueTableName(string prefix) => prefix + Guid.NewGuid().ToString("N")[..16];

    /// <summary>A queue name no other test uses (lowercase letters, digits, hyphens).</summary>
    public static string UniqueQueueName(string prefix) => $"{prefix}-{Guid.NewGuid():N}"[..Math.Min(63, prefix.Length + 17)];

    /// <inheritdoc />
    public async Task InitializeAsync()
    {
        var executable = FindAzurite();
        _workspace = Directory.CreateTempSubdirectory("azurite-").FullName;
        var start = new ProcessStartInfo(executable)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,

            // Its own working directory, so nothing it might write lands in the repo (--location cannot be combined with --inMemoryPersistence).
            WorkingDirectory = _workspace,
        };
        foreach (var arg in new[]
        {
            "--inMemoryPersistence", "--silent", "--skipApiVersionCheck", "--loose", "--disableTelemetry",
            "--blobHost", "127.0.0.1", "--queueHost", "127.0.0.1", "--tableHost", "127.0.0.1",
            "--blobPort", "0", "--queuePort", "0", "--tablePort", "0",
        })
        {
            start.ArgumentList.Add(arg);
        }

        var ports = new Dictionary<string, int>(StringComparer.Ordinal);
        var ready = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        try
        {
            _process = Process.Start(start) ?? throw new InvalidOperationException($"Could not start {executable}.");
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new InvalidOperationException($"Could not start Azurite at {executable} ({e.Message}). Run `npm ci` at the repo root.", e);
        }

        _process.OutputDataReceived += (_, e) => OnLine(e.Data);
        _process.ErrorDataReceived += (_, e) => OnLine(e.Data);
        _process.EnableRaisingEvents = true;
        _process.Exited += (_, _) => ready.TrySetException(new InvalidOperationException(
            $"Azurite exited with code {_process.ExitCode} before listening. Run `npm ci` at the repo root. Output:\n{Output()}"));
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();

        // With port 0 Azurite prints the port it bound: "Azurite Table service is successfully listening at http://127.0.0.1:45891".
        void OnLine(string? line)
        {
            if (line is null)
            {
                return;
            }

            lock (_output)
            {
                _output.AppendLine(line);
                var match = ListeningLine().Match(line);
                if (match.Success)
                {
                    ports[match.Groups["service"].Value] = int.Parse(match.Groups["port"].Value, System.Globalization.CultureInfo.InvariantCulture);
                    if (ports.ContainsKey("Queue") && ports.ContainsKey("Table") && ports.ContainsKey("Blob"))
                    {
                        ready.TrySetResult();
                    }
                }
            }
        }

        try
        {
            await ready.Task.WaitAsync(StartTimeout);
        }
        catch (TimeoutException)
        {
            await DisposeAsync();
            throw new InvalidOperationException($"Azurite did not report its ports within {StartTimeout.TotalSeconds:0} s. Run `npm ci` at the repo root. Output:\n{Output()}");
        }
        catch (InvalidOperationException)
        {
            await DisposeAsync();
            throw;
        }

        ConnectionString =
            $"DefaultEndpointsProtocol=http;AccountName={AccountName};AccountKey={AccountKey};" +
            $"TableEndpoint=http://127.0.0.1:{ports["Table"]}/{AccountName};QueueEndpoint=http://127.0.0.1:{ports["Queue"]}/{AccountName};" +
            $"BlobEndpoint=http://127.0.0.1:{ports["Blob"]}/{AccountName};";
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?> { [StorageNames.Setting] = ConnectionString })
            .Build();
        TableService = StorageClients.CreateTableServiceClient(configuration);
        QueueService = StorageClients.CreateQueueServiceClient(configuration);
        BlobService = StorageClients.CreateBlobServiceClient(configuration);
    }

    /// <inheritdoc />
    public async Task DisposeAsync()
    {
        if (_process is not null)
        {
            try
            {
                if (!_process.HasExited)
                {
                    _process.Kill(entireProcessTree: true);
                    await _process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(10));
                }
            }
            catch (InvalidOperationException)
            {
                // Already gone: nothing to stop.
            }
            finally
            {
                _process.Dispose();
                _process = null;
            }
        }

        if (_workspace is not null && Directory.Exists(_workspace))
        {
            Directory.Delete(_workspace, recursive: true);
            _workspace = null;
        }
    }

    private string Output()
    {
        lock (_output)
        {
            return _output.ToString();
        }
    }

    /// <summary>The repo root: the nearest directory above the test binaries holding AlertPipeline.sln.</summary>
    internal static string RepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "AlertPipeline.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException($"No AlertPipeline.sln above {AppContext.BaseDirectory}; cannot find the repo root to locate Azurite (run `npm ci` there).");
    }

    /// <summary>node_modules/.bin/azurite under the repo root.</summary>
    private static string FindAzurite()
    {
        var root = RepoRoot();
        var bin = Path.Combine(root, "node_modules", ".bin", OperatingSystem.IsWindows() ? "azurite.cmd" : "azurite");
        return File.Exists(bin)
            ? bin
            : throw new InvalidOperationException($"Azurite is not installed ({bin} is missing). Run `npm ci` at the repo root ({root}).");
    }

    [GeneratedRegex(@"Azurite (?<service>Blob|Queue|Table) service is successfully listening at https?://[^:]+:(?<port>\d+)")]
    private static partial Regex ListeningLine();
}

/// <summary>Shares one <see cref="AzuriteFixture"/> among every test class in the collection.</summary>
[CollectionDefinition(Name)]
public sealed class AzuriteCollection : ICollectionFixture<AzuriteFixture>
{
    /// <summary>The collection name for <see cref="CollectionAttribute"/>.</summary>
    public const string Name = "Azurite";
}
