namespace Shadow.Grains.Tests;
