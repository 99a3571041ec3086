# Postgres on RDS and Redis on ElastiCache, both private, reachable only through the group, both
# encrypted in transit: RDS refuses unencrypted logins (rds.force_ssl), ElastiCache speaks only
# TLS and wants the AUTH token.

resource "aws_db_subnet_group" "db" {
  name       = "${var.name}-db"
  subnet_ids = local.subnet_ids
}

# Explicit, so the settings the app relies on are in code rather than in a default group.
resource "aws_db_parameter_group" "postgres" {
  name        = "${var.name}-postgres17"
  family      = "postgres17"
  description = "fibstack: TLS only, slow statements logged"

  parameter {
    name  = "rds.force_ssl"
    value = "1"
  }

  parameter {
    name  = "log_statement"
    value = "ddl"
  }

  parameter {
    name  = "log_min_duration_statement"
    value = "1000"
  }
}

resource "aws_db_instance" "postgres" {
  #checkov:skip=CKV_AWS_157:One instance, as in the course; set multi_az = true for a standby (twice the cost).
  #checkov:skip=CKV_AWS_118:Enhanced monitoring needs a monitoring role and costs extra; CloudWatch logs are exported.
  #checkov:skip=CKV_AWS_353:Performance Insights is an optional extra for a course-sized database.
  identifier                          = "${var.name}-postgres"
  engine                              = "postgres"
  engine_version                      = "17"
  instance_class                      = "db.t4g.micro"
  allocated_storage                   = 20
  storage_encrypted                   = true
  db_name                             = "fibstack"
  username                            = var.db_username
  password                            = var.db_password
  parameter_group_name                = aws_db_parameter_group.postgres.name
  db_subnet_group_name                = aws_db_subnet_group.db.name
  vpc_security_group_ids              = [aws_security_group.app.id]
  publicly_accessible                 = false
  iam_database_authentication_enabled = true
  enabled_cloudwatch_logs_exports     = ["postgresql"]
  backup_retention_period             = 7
  copy_tags_to_snapshot               = true
  auto_minor_version_upgrade          = true
  deletion_protection                 = true
  skip_final_snapshot                 = false
  final_snapshot_identifier           = "${var.name}-postgres-final"
}

resource "aws_elasticache_subnet_group" "redis" {
  name       = "${var.name}-redis"
  subnet_ids = local.subnet_ids
}

# Redis 7 (the worker reclaims stale jobs with XAUTOCLAIM, 6.2 and later) as a replication group:
# a primary and a replica in another zone that takes over by itself. Cluster mode off, so
# REDIS_CLUSTER stays false; a cluster-mode group or a Serverless cache needs REDIS_CLUSTER=true.
resource "aws_elasticache_replication_group" "redis" {
  #checkov:skip=CKV_AWS_191:Encrypted at rest with the AWS-managed key; a customer key is an optional extra.
  replication_group_id       = "${var.name}-redis"
  description                = "fibstack: job queue, value cache and change events"
  engine                     = "redis"
  engine_version             = "7.1"
  node_type                  = "cache.t4g.micro"
  num_cache_clusters         = 2
  automatic_failover_enabled = true
  multi_az_enabled           = true
  parameter_group_name       = "default.redis7"
  port                       = 6379
  subnet_group_name          = aws_elasticache_subnet_group.redis.name
  security_group_ids         = [aws_security_group.app.id]
  at_rest_encryption_enabled = true
  transit_encryption_enabled = true
  auth_token                 = var.redis_auth_token
  snapshot_retention_limit   = 1
  auto_minor_version_upgrade = true
}
