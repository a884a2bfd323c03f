CREATE TABLE `t` (
  `code` VARCHAR(40) NOT NULL,
  `name` VARCHAR(64) NOT NULL,
  `qty` INT NOT NULL,
  `price` DECIMAL(10,2) NOT NULL,
  `note` VARCHAR(255) NULL,
  `updated_at` DATETIME(6) NOT NULL,
  `maybe` INT NULL,
  UNIQUE KEY `uk_code` (`code`),
  UNIQUE KEY `uk_maybe` (`maybe`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
