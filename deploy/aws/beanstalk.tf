# The Elastic Beanstalk application and environment that run docker-compose.prod.yml, with the
# settings as environment properties (Beanstalk writes them to .env beside the compose file).

data "aws_elastic_beanstalk_solution_stack" "docker" {
  most_recent = true
  name_regex  = var.solution_stack_regex
}

resource "aws_elastic_beanstalk_application" "app" {
  name        = var.name
  description = "fibstack: the multi-container Fibonacci calculator"
}

# The application versions CI uploads: private, versioned, old versions expired.
resource "aws_s3_bucket" "versions" {
  #checkov:skip=CKV_AWS_18:Access logs would need a second bucket; CloudTrail records who uploaded.
  #checkov:skip=CKV_AWS_144:Versions are rebuilt from git; a copy in another region adds nothing.
  #checkov:skip=CKV2_AWS_62:Nothing reacts to uploads but Beanstalk, which CI calls directly.
  bucket_prefix = "${var.name}-versions-"
}

resource "aws_s3_bucket_public_access_block" "versions" {
  bucket                  = aws_s3_bucket.versions.id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_versioning" "versions" {
  bucket = aws_s3_bucket.versions.id
  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_bucket_server_side_encryption_configuration" "versions" {
  bucket = aws_s3_bucket.versions.id
  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm = "aws:kms"
    }
    bucket_key_enabled = true
  }
}

resource "aws_s3_bucket_lifecycle_configuration" "versions" {
  bucket = aws_s3_bucket.versions.id
  rule {
    id     = "expire-old-bundles"
    status = "Enabled"
    filter {}
    noncurrent_version_expiration {
      noncurrent_days = 90
    }
    abort_incomplete_multipart_upload {
      days_after_initiation = 7
    }
  }
}

# The instances' role: what the Docker platform needs, and image pulls from ECR.
resource "aws_iam_role" "instance" {
  name = "${var.name}-eb-instance"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Service = "ec2.amazonaws.com" }
      Action    = "sts:AssumeRole"
    }]
  })
}

resource "aws_iam_role_policy_attachment" "instance" {
  for_each = toset([
    "arn:aws:iam::aws:policy/AWSElasticBeanstalkWebTier",
    "arn:aws:iam::aws:policy/AWSElasticBeanstalkMulticontainerDocker",
    "arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryReadOnly",
  ])

  role       = aws_iam_role.instance.name
  policy_arn = each.value
}

resource "aws_iam_instance_profile" "instance" {
  name = "${var.name}-eb-instance"
  role = aws_iam_role.instance.name
}

# The service role Beanstalk itself acts with: health reporting and managed platform updates.
resource "aws_iam_role" "service" {
  name = "${var.name}-eb-service"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Service = "elasticbeanstalk.amazonaws.com" }
      Action    = "sts:AssumeRole"
      Condition = { StringEquals = { "sts:ExternalId" = "elasticbeanstalk" } }
    }]
  })
}

resource "aws_iam_role_policy_attachment" "service" {
  for_each = toset([
    "arn:aws:iam::aws:policy/service-role/AWSElasticBeanstalkEnhancedHealth",
    "arn:aws:iam::aws:policy/AWSElasticBeanstalkManagedUpdatesCustomerRolePolicy",
  ])

  role       = aws_iam_role.service.name
  policy_arn = each.value
}

locals {
  environment_properties = {
    PGHOST     = aws_db_instance.postgres.address
    PGPORT     = tostring(aws_db_instance.postgres.port)
    PGUSER     = var.db_username
    PGPASSWORD = var.db_password
    PGDATABASE = aws_db_instance.postgres.db_name
    # Encrypted (the parameter group refuses anything else). verify-full also needs AWS's RDS
    # CA bundle in the image or mounted, named by PGSSLROOTCERT.
    PGSSLMODE      = "require"
    REDIS_HOST     = aws_elasticache_replication_group.redis.primary_endpoint_address
    REDIS_PORT     = tostring(aws_elasticache_replication_group.redis.port)
    REDIS_TLS      = "true"
    REDIS_PASSWORD = var.redis_auth_token
    REDIS_CLUSTER  = "false"
    FIB_MAX_INDEX  = "1000000"
    RATE_LIMIT_RPS = "20"
  }
}

resource "aws_elastic_beanstalk_environment" "env" {
  #checkov:skip=CKV_AWS_312:Enhanced health is on (SystemType) and streamed to CloudWatch; the check looks for HealthStreamingEnabled in a namespace that has no such option.
  name                = "${var.name}-env"
  application         = aws_elastic_beanstalk_application.app.name
  solution_stack_name = data.aws_elastic_beanstalk_solution_stack.docker.name

  setting {
    namespace = "aws:autoscaling:launchconfiguration"
    name      = "IamInstanceProfile"
    value     = aws_iam_instance_profile.instance.name
  }

  setting {
    namespace = "aws:autoscaling:launchconfiguration"
    name      = "SecurityGroups"
    value     = aws_security_group.app.id
  }

  setting {
    namespace = "aws:ec2:vpc"
    name      = "VPCId"
    value     = data.aws_vpc.selected.id
  }

  setting {
    namespace = "aws:ec2:vpc"
    name      = "Subnets"
    value     = join(",", local.subnet_ids)
  }

  setting {
    namespace = "aws:ec2:vpc"
    name      = "AssociatePublicIpAddress"
    value     = "true"
  }

  setting {
    namespace = "aws:elasticbeanstalk:environment"
    name      = "EnvironmentType"
    value     = "SingleInstance"
  }

  setting {
    namespace = "aws:elasticbeanstalk:environment"
    name      = "ServiceRole"
    value     = aws_iam_role.service.arn
  }

  setting {
    namespace = "aws:elasticbeanstalk:healthreporting:system"
    name      = "SystemType"
    value     = "enhanced"
  }

  setting {
    namespace = "aws:elasticbeanstalk:cloudwatch:logs:health"
    name      = "HealthStreamingEnabled"
    value     = "true"
  }

  setting {
    namespace = "aws:elasticbeanstalk:managedactions"
    name      = "ManagedActionsEnabled"
    value     = "true"
  }

  setting {
    namespace = "aws:elasticbeanstalk:managedactions"
    name      = "PreferredStartTime"
    value     = "Sun:04:00"
  }

  setting {
    namespace = "aws:elasticbeanstalk:managedactions:platformupdate"
    name      = "UpdateLevel"
    value     = "minor"
  }

  dynamic "setting" {
    for_each = local.environment_properties
    content {
      namespace = "aws:elasticbeanstalk:application:environment"
      name      = setting.key
      value     = setting.value
    }
  }

  depends_on = [aws_iam_role_policy_attachment.service, aws_iam_role_policy_attachment.instance]
}
