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

resource "aws_s3_bucket" "versions" {
  bucket_prefix = "${var.name}-versions-"
}

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

resource "aws_iam_role_policy_attachment" "instance_web_tier" {
  role       = aws_iam_role.instance.name
  policy_arn = "arn:aws:iam::aws:policy/AWSElasticBeanstalkWebTier"
}

resource "aws_iam_instance_profile" "instance" {
  name = "${var.name}-eb-instance"
  role = aws_iam_role.instance.name
}

locals {
  environment_properties = {
    PGHOST         = aws_db_instance.postgres.address
    PGPORT         = tostring(aws_db_instance.postgres.port)
    PGUSER         = var.db_username
    PGPASSWORD     = var.db_password
    PGDATABASE     = aws_db_instance.postgres.db_name
    PGSSLMODE      = "require"
    REDIS_HOST     = aws_elasticache_cluster.redis.cache_nodes[0].address
    REDIS_PORT     = "6379"
    FIB_MAX_INDEX  = "1000000"
    RATE_LIMIT_RPS = "20"
  }
}

resource "aws_elastic_beanstalk_environment" "env" {
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
    namespace = "aws:elasticbeanstalk:environment"
    name      = "EnvironmentType"
    value     = "SingleInstance"
  }

  dynamic "setting" {
    for_each = local.environment_properties
    content {
      namespace = "aws:elasticbeanstalk:application:environment"
      name      = setting.key
      value     = setting.value
    }
  }
}
